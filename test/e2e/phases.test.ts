/**
 * Phase-by-phase builds (`cnbkit build --phases`) with the real lifecycle: the analyzer,
 * detector, restorer, builder and exporter each in a runc container of its own, with the
 * flags kpack's build pod passes (Platform API 0.9) and those Tekton's buildpacks-phases task
 * passes (0.13), against the reference builder; each app answers over HTTP. The Tekton build
 * keeps its cache in a registry that wants a password: the build succeeds only if the
 * analyzer, restorer and exporter got the credentials, and a probe buildpack run by the
 * builder phase finds them in no process of its container, nor the cache, nor the images.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import type { Binding } from "../../builder-packager/src/platform/index.js";
import { buildAndAsk } from "./app-case.js";
import { caBindings, cliSession, fixtureApp, getFromImage, runCli } from "./support.js";

const PHASE_HEADERS =
  /===> ANALYZING[\s\S]*===> DETECTING[\s\S]*===> RESTORING[\s\S]*===> BUILDING[\s\S]*===> EXPORTING/;

// Run by the builder phase, where the buildpacks run: pid 1 is the lifecycle's builder. It
// looks for the registry credentials in every process's environment it can read, and for
// the mounts of the cache and the layout repository the analyzer, restorer and exporter get
// (their empty mount points stay in the builder's view; the platform dir shows the check sees mounts).
const PROBE_TOML = `[_]
schema-version = "0.2"

[[io.buildpacks.post.group]]
id = "test/phase-probe"
  [io.buildpacks.post.group.script]
  api = "0.10"
  inline = """
echo "probe pid1=$(tr '\\\\0' ' ' < /proc/1/cmdline | cut -d' ' -f1)"
if [ -r /proc/1/environ ]; then echo "probe environ=readable"; fi
if grep -qs CNB_REGISTRY_AUTH /proc/[0-9]*/environ; then echo "probe auth=seen"; else echo "probe auth=none"; fi
if grep -q ' /cache ' /proc/self/mountinfo; then echo "probe cache=mounted"; else echo "probe cache=none"; fi
if grep -q ' /layout-repo ' /proc/self/mountinfo; then echo "probe layout=mounted"; else echo "probe layout=none"; fi
if grep -q ' /platform ' /proc/self/mountinfo; then echo "probe platform=mounted"; fi
"""
`;

const s = cliSession("phases");
let bindings: Binding[] = [];
let registry: TestRegistry | undefined;
const apps: string[] = [];

beforeAll(async () => {
  bindings = await caBindings();
});
afterAll(async () => {
  await registry?.stop();
  for (const app of apps) await rm(app, { recursive: true, force: true });
});

describe.sequential("cnbkit build --phases", () => {
  test("kpack's build pod flags at Platform API 0.9: five containers, and the app answers", async () => {
    await buildAndAsk(
      {
        fixture: "server-only",
        build: { phases: true, phaseFlags: "kpack" },
        output: [/^Running each lifecycle phase in its own container \(--phases\), Platform API 0\.9$/m, PHASE_HEADERS],
        answer: /^200 server-only on v24\.21\.0\n$/,
      },
      s.builder,
      bindings,
    );
  }, 600_000);

  test("Tekton's buildpacks-phases flags at 0.13, cache in a password registry: credentials reach no buildpack", async () => {
    registry = await startRegistry({ users: { ci: "s3cret" } });
    const dockerConfig = join(s.work, "docker");
    await mkdir(dockerConfig, { recursive: true });
    const auth = Buffer.from("ci:s3cret").toString("base64");
    await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    const app = await fixtureApp("server-only", { "project.toml": PROBE_TOML });
    apps.push(app);
    const image = `oci:${join(s.work, "tekton")}:latest`;
    const cacheImage = `${registry.host}/phases-cache`;
    const args = ["build", app, "--builder", s.builder, "--output", image, ...s.ca];
    const r = await runCli(
      s.cli,
      [...args, "--phases", "--phase-flags", "tekton", "--cache-image", cacheImage],
      undefined,
      {
        env: { DOCKER_CONFIG: dockerConfig },
      },
    );
    expect(r.code, `${r.stdout.slice(-3000)}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^Running each lifecycle phase in its own container \(--phases\), Platform API 0\.13$/m);
    expect(r.stdout).toMatch(PHASE_HEADERS);
    const probe = r.stdout.split("\n").flatMap((l) => /probe (\w+=\S+)/.exec(l)?.[1] ?? []);
    expect(probe).toEqual([
      "pid1=/cnb/lifecycle/builder",
      "environ=readable",
      "auth=none",
      "cache=none",
      "layout=none",
      "platform=mounted",
    ]);
    // The exporter wrote the cache image with the credentials.
    const inspect = spawnSync(
      "skopeo",
      ["inspect", "--tls-verify=false", "--creds", "ci:s3cret", `docker://${cacheImage}`],
      { encoding: "utf8" },
    );
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout).Layers.length).toBeGreaterThan(0);
    expect(await getFromImage(image)).toMatch(/^200 server-only on v24\.21\.0\n$/);
  }, 600_000);

  test("a Platform API the builder's lifecycle does not support, or an exec env the phases' API cannot carry, is one line, and nothing is built", async () => {
    const image = join(s.work, "unsupported");
    const app = await fixtureApp("server-only");
    apps.push(app);
    const refused = (...flags: string[]) =>
      runCli(s.cli, ["build", app, "--builder", s.builder, "--output", `oci:${image}:latest`, "--phases", ...flags]);
    const r = await refused("--platform-api", "0.16");
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")[0]).toMatch(
      /^error: --platform-api 0\.16: the builder's lifecycle 0\.21\.\d+ supports Platform API 0\.7, .*0\.15; give one of those/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toMatch(/===>/);
    expect(existsSync(image)).toBe(false);
    // kpack's flags run at 0.9, which has no exec env: a test build is refused, not made for production.
    const kpack = await refused("--phase-flags", "kpack", "--exec-env", "test");
    expect(kpack.code).not.toBe(0);
    expect(kpack.stderr.trim().split("\n")[0]).toMatch(
      /^error: --exec-env test needs Platform API 0\.15, and this build runs builder .*'s lifecycle at 0\.9;/,
    );
    expect(kpack.stdout).not.toMatch(/===>/);
    expect(existsSync(image)).toBe(false);
  }, 300_000);
});
