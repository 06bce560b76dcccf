import { describe, expect, test } from "vitest";
import { CnbError } from "../errors/index.js";
import { type LaunchToml, parseLaunchToml, stringifyLaunchToml, validateProcesses } from "./launch-toml.js";

describe("launch.toml", () => {
  test("processes, labels and slices survive a round trip", () => {
    const launch: LaunchToml = {
      processes: [
        {
          type: "web",
          command: ["node", "server.js"],
          args: ["--port", "8080"],
          default: true,
          workingDir: "/workspace/app",
        },
        { type: "worker.v2", command: ["/bin/sh", "-c", "echo 'ünï' && run"], default: false, execEnv: ["production"] },
        { type: "task_1", command: ["rake"], args: [] },
      ],
      labels: [
        { key: "org.opencontainers.image.title", value: "Acme ✓" },
        { key: "empty", value: "" },
      ],
      slices: [{ paths: ["public/**", "/workspace/static/*"] }, { paths: [] }],
    };
    const text = stringifyLaunchToml(launch);
    expect(text).toContain('working-dir = "/workspace/app"');
    expect(text).toContain('exec-env = [ "production" ]');
    expect(parseLaunchToml(text, "launch.toml")).toEqual(launch);
  });

  test("a partial launch.toml writes only what it has", () => {
    const text = stringifyLaunchToml({ processes: [{ type: "web", command: ["npm", "start"] }] });
    expect(text).not.toContain("labels");
    expect(text).not.toContain("slices");
    expect(parseLaunchToml(text, "launch.toml")).toEqual({
      processes: [{ type: "web", command: ["npm", "start"] }],
      labels: [],
      slices: [],
    });
    expect(stringifyLaunchToml({})).toBe("");
  });

  test("parses the spec's example shape", () => {
    const text = `
[[labels]]
key = "k"
value = "v"

[[processes]]
type = "web"
command = ["bundle", "exec"]
args = ["rackup"]
default = false
working-dir = "/app"
exec-env = ["test"]

[[slices]]
paths = ["vendor/*"]
`;
    expect(parseLaunchToml(text, "launch.toml")).toEqual({
      labels: [{ key: "k", value: "v" }],
      processes: [
        {
          type: "web",
          command: ["bundle", "exec"],
          args: ["rackup"],
          default: false,
          workingDir: "/app",
          execEnv: ["test"],
        },
      ],
      slices: [{ paths: ["vendor/*"] }],
    });
  });

  test("validateProcesses checks a build result with the caller's prefix", () => {
    expect(validateProcesses([{ type: "web", command: ["x"], workingDir: undefined }], "build result")).toEqual([
      { type: "web", command: ["x"] },
    ]);
    const bad = () => validateProcesses([{ type: "web", command: ["x"], workingDir: 3 }], "build result");
    expect(bad).toThrow(CnbError);
    expect(bad).toThrow("build result: [[processes]][0].working-dir must be a string, not integer 3");
  });
});
