import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PARSED_BUILDPACK_TOML } from "@cnbkit/framework/packaging";
import { readBuildpackToml } from "@cnbkit/framework/cnb-files";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { writeStagedToml } from "./stage.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-stage-"));
  await mkdir(join(dir, "lib"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const toml = `api = "0.12"\n[buildpack]\nid = "acme/x"\nversion = "1.0.0"\n\n[[metadata.dependencies]]\nid = "node"\nversion = "24.1.0"\nlicenses = ["MIT"]\n`;

describe("writeStagedToml", () => {
  test("a buildpack on the shared runtime gets the parsed copy of exactly the text it stages", async () => {
    await writeStagedToml(dir, toml, true);
    expect(await readFile(join(dir, "buildpack.toml"), "utf8")).toBe(toml);
    const copy = JSON.parse(await readFile(join(dir, PARSED_BUILDPACK_TOML), "utf8"));
    expect(copy.text).toBe(toml);
    expect(copy.table.metadata.dependencies).toEqual([{ id: "node", version: "24.1.0", licenses: ["MIT"] }]);
    // The framework reads it back as the descriptor the TOML gives.
    expect((await readBuildpackToml(dir)).metadata).toEqual({
      dependencies: [{ id: "node", version: "24.1.0", licenses: ["MIT"] }],
    });
  });

  test("no copy for a single executable, nor for a table JSON would change (a TOML date)", async () => {
    await writeStagedToml(dir, toml, false);
    expect(await readdir(join(dir, "lib"))).toEqual([]);
    await writeStagedToml(dir, `${toml}\n[metadata.release]\nat = 2026-11-24\n`, true);
    expect(await readdir(join(dir, "lib"))).toEqual([]);
  });
});
