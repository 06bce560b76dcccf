import { expect, test } from "vitest";
import { parseBuilderToml } from "./config.js";

const BASE = `[[buildpacks]]
uri = "bp"
[[order]]
[[order.group]]
id = "acme/bp"
[build]
image = "example.com/build"
[run]
[[run.images]]
image = "example.com/run"
`;

test("[[build.env]] exec-env, which pack reads and drops, is a warning: build-config env applies in every exec env", () => {
  const cfg = parseBuilderToml(
    `${BASE}[[build.env]]\nname = "DEBUG"\nvalue = "1"\nexec-env = ["test"]\n[[build.env]]\nname = "ALL"\nvalue = "1"\nexec-env = ["*"]\n`,
    "builder.toml",
  );
  expect(cfg.build.env.map((e) => e.name)).toEqual(["DEBUG", "ALL"]);
  expect(cfg.warnings).toEqual([
    'builder.toml: [[build.env]][0] (DEBUG) exec-env ["test"] is not applied: the lifecycle sets /cnb/build-config/env in every execution environment; use --env or project.toml\'s [[io.buildpacks.build.env]] per build',
  ]);
  expect(() =>
    parseBuilderToml(`${BASE}[[build.env]]\nname = "X"\nvalue = "1"\nexec-env = "test"\n`, "b.toml"),
  ).toThrow("b.toml: [[build.env]][0].exec-env must be an array of strings");
});
