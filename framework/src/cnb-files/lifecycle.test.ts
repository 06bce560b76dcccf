/**
 * Conformance with the real CNB lifecycle (v0.21.17, built at ~/.cache/cnbkit/lifecycle):
 * a buildpack whose files are all written by this module goes through the lifecycle's
 * detector and builder, and what the lifecycle writes back is read by this module.
 */
import { execFile } from "node:child_process";
import { access, chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringifyBuildPlan } from "./build-plan.js";
import { parseBuildpackPlan } from "./buildpack-plan.js";
import { buildpackDirName } from "./buildpack-toml.js";
import { stringifyBuildpackToml } from "./buildpack-toml-text.js";
import { type LaunchToml, stringifyLaunchToml } from "./launch-toml.js";
import { stringifyLayerToml } from "./layer-toml.js";
import { parseToml } from "./toml.js";

const run = promisify(execFile);
const LIFECYCLE = join(homedir(), ".cache/cnbkit/lifecycle/0.21.17");
const ID = "acme/spec-check";

const launch: LaunchToml = {
  processes: [
    {
      type: "web",
      command: ["node", "server.js"],
      args: ["--port", "8080"],
      default: true,
      workingDir: "/workspace/srv",
    },
    { type: "worker", command: ["node", "worker.js"], execEnv: ["production"] },
  ],
  labels: [{ key: "org.example.checked", value: "yes ✓" }],
  slices: [{ paths: ["public/*"] }],
};

/** Runs a lifecycle phase as uid 1000 (the detector and builder refuse root). */
async function phase(name: string, args: string[], cwd: string): Promise<string> {
  const bin = join(LIFECYCLE, name);
  const [cmd, argv] =
    process.getuid?.() === 0
      ? ["setpriv", ["--reuid=1000", "--regid=1000", "--clear-groups", bin, ...args]]
      : [bin, args];
  const { stdout, stderr } = await run(cmd, argv, { cwd, env: { ...process.env, CNB_PLATFORM_API: "0.12" } });
  return stdout + stderr;
}

describe("the real lifecycle reads what we write and we read what it writes", () => {
  let dir = "";
  let detectLog = "";

  beforeAll(async () => {
    await access(join(LIFECYCLE, "lifecycle")).catch(() => {
      throw new Error(`lifecycle 0.21.17 is missing at ${LIFECYCLE}; run the repository's setup script`);
    });
    dir = await mkdtemp(join(tmpdir(), "cnbkit-spec-lifecycle-"));
    const bp = join(dir, "buildpacks", buildpackDirName(ID), "1.0.0");
    await mkdir(join(bp, "bin"), { recursive: true });
    await mkdir(join(bp, "fixtures"), { recursive: true });
    for (const d of ["app", "layers", "platform", "out"]) await mkdir(join(dir, d));
    await writeFile(
      join(bp, "buildpack.toml"),
      stringifyBuildpackToml({
        api: "0.12",
        buildpack: {
          id: ID,
          version: "1.0.0",
          name: "Spec check",
          sbomFormats: ["application/vnd.cyclonedx+json"],
          execEnv: ["production"],
        },
        targets: [{ os: "linux" }],
        order: [],
        metadata: { checked: true },
      }),
    );
    await writeFile(
      join(bp, "fixtures", "plan.toml"),
      stringifyBuildPlan([
        { provides: [{ name: "node" }], requires: [{ name: "node", metadata: { version: "24.x", build: true } }] },
        { provides: [], requires: [{ name: "never-provided" }] },
      ]),
    );
    await writeFile(join(bp, "fixtures", "launch.toml"), stringifyLaunchToml(launch));
    await writeFile(
      join(bp, "fixtures", "kept.toml"),
      stringifyLayerToml({ types: { launch: true, build: false, cache: false }, metadata: { v: 1 } }),
    );
    await writeFile(
      join(bp, "fixtures", "dropped.toml"),
      stringifyLayerToml({ types: { launch: false, build: false, cache: false }, metadata: {} }),
    );
    await writeFile(
      join(bp, "bin", "detect"),
      `#!/bin/sh\ncp "$CNB_BUILDPACK_DIR/fixtures/plan.toml" "$CNB_BUILD_PLAN_PATH"\n`,
    );
    await writeFile(
      join(bp, "bin", "build"),
      [
        "#!/bin/sh",
        "set -e",
        `cp "$CNB_BP_PLAN_PATH" "${join(dir, "out", "bp-plan.toml")}"`,
        'cp "$CNB_BUILDPACK_DIR/fixtures/launch.toml" "$CNB_LAYERS_DIR/launch.toml"',
        'for l in kept dropped; do mkdir "$CNB_LAYERS_DIR/$l"; cp "$CNB_BUILDPACK_DIR/fixtures/$l.toml" "$CNB_LAYERS_DIR/$l.toml"; done',
        "",
      ].join("\n"),
    );
    await chmod(join(bp, "bin", "detect"), 0o755);
    await chmod(join(bp, "bin", "build"), 0o755);
    await writeFile(join(dir, "order.toml"), `[[order]]\n[[order.group]]\nid = "${ID}"\nversion = "1.0.0"\n`);
    if (process.getuid?.() === 0) await run("chown", ["-R", "1000:1000", dir]);

    const common = ["-buildpacks", "buildpacks", "-app", "app", "-layers", "layers", "-platform", "platform"];
    const files = ["-group", "layers/group.toml", "-plan", "layers/plan.toml"];
    detectLog = await phase("detector", ["-order", "order.toml", ...common, ...files], dir);
    await phase("builder", [...common, ...files], dir);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("the detector accepts our buildpack.toml and build plan", async () => {
    expect(detectLog).toContain(`${ID} 1.0.0`);
    const group = parseToml(await readFile(join(dir, "layers", "group.toml"), "utf8"), "group.toml");
    expect(group.group).toEqual([{ id: ID, version: "1.0.0", api: "0.12" }]);
  });

  test("the buildpack plan the lifecycle hands to build parses to what detect required", async () => {
    const text = await readFile(join(dir, "out", "bp-plan.toml"), "utf8");
    expect(parseBuildpackPlan(text, "plan.toml")).toEqual([
      { name: "node", metadata: { version: "24.x", build: true } },
    ]);
  });

  test("the builder takes processes, labels and the default from our launch.toml", async () => {
    const meta = parseToml(await readFile(join(dir, "layers", "config", "metadata.toml"), "utf8"), "metadata.toml");
    expect(meta["buildpack-default-process-type"]).toBe("web");
    expect(meta.labels).toEqual([{ key: "org.example.checked", value: "yes ✓" }]);
    const processes = meta.processes as Record<string, unknown>[];
    expect(processes.map((p) => [p.type, p.command, p.args, p["working-dir"], p["exec-env"]])).toEqual([
      ["web", ["node", "server.js"], ["--port", "8080"], "/workspace/srv", undefined],
      ["worker", ["node", "worker.js"], undefined, undefined, ["production"]],
    ]);
  });

  test("the builder reads our [types]: a layer with no type is set aside as .ignore", async () => {
    const entries = await readdir(join(dir, "layers", buildpackDirName(ID)));
    expect(entries).toContain("kept");
    expect(entries).toContain("dropped.ignore");
    expect(entries).not.toContain("dropped");
  });
});
