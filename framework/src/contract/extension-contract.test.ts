import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { parseToml } from "../cnb-files/toml.js";
import { writeGenerateResult } from "./extension-contract.js";

let out: string;
tempDirPerTest("generate", (d) => {
  out = d;
});

test("generate's result becomes build.Dockerfile, run.Dockerfile and extend-config.toml as the lifecycle reads them", async () => {
  const written = await writeGenerateResult(
    {
      buildDockerfile: "ARG base_image\nFROM $base_image\nUSER root\nRUN apt-get install -y $pkg",
      runDockerfile: "FROM example.com/acme/run:2\n",
      buildArgs: [{ name: "pkg", value: "jq" }],
    },
    out,
  );
  expect(written).toEqual(["build.Dockerfile", "run.Dockerfile", "extend-config.toml"]);
  expect(await readFile(join(out, "build.Dockerfile"), "utf8")).toBe(
    "ARG base_image\nFROM $base_image\nUSER root\nRUN apt-get install -y $pkg\n",
  );
  expect(parseToml(await readFile(join(out, "extend-config.toml"), "utf8"), "extend-config.toml")).toEqual({
    build: { args: [{ name: "pkg", value: "jq" }] },
  });
});

test("nothing returned writes nothing; args without their Dockerfile are one line", async () => {
  expect(await writeGenerateResult({}, out)).toEqual([]);
  expect(await readdir(out)).toEqual([]);
  await expect(writeGenerateResult({ runArgs: [{ name: "a", value: "b" }] }, out)).rejects.toThrow(
    /^generate returned runArgs without a runDockerfile/,
  );
});
