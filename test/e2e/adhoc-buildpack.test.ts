/**
 * The buildpack author's loop with the real lifecycle: `--buildpack` with the builder's
 * Node.js buildpack (by id) and the `buildpack` template's source dir (compiled on the fly,
 * from the cache the second time) builds a tiny Node app on the reference e2e builder, and the
 * image answers HTTP with what the template's layer gives it. Then a project.toml whose
 * exclude drops a file and whose build env reaches an inline script buildpack of its group,
 * which writes the value into a launch layer: the running app reports both. Bad `--buildpack`
 * input is one line and leaves the output as it was.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type BuildOptions, buildApp } from "../../builder-packager/src/platform/index.js";
import { scaffold } from "../../builder-packager/src/scaffold/index.js";
import { fixtureApp, getFromImage, referenceBuilder } from "./support.js";

const GREETING = "Hello from the ad-hoc buildpack";
const HELLO_SERVER = `const { execFileSync } = require("node:child_process");
require("node:http").createServer((_q, r) => {
  const hello = execFileSync("hello", { encoding: "utf8" }).trim();
  r.end("HELLO_FILE=" + process.env.HELLO_FILE + " hello=" + hello + "\\n");
}).listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");
`;
const PROJECT_SERVER = `const fs = require("node:fs");
require("node:http").createServer((_q, r) => {
  const greeting = fs.readFileSync("/layers/acme_greeting/greeting/greeting.txt", "utf8").trim();
  r.end("greeting=" + greeting + " secret=" + fs.existsSync("/workspace/secret.txt") + " kept=" + fs.existsSync("/workspace/kept.txt") + "\\n");
}).listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");
`;
/** An inline buildpack that writes the build env's GREETING into a launch layer. */
const PROJECT_TOML = `[_]
schema-version = "0.2"

[io.buildpacks]
exclude = ["*.txt", "!kept.txt"]

[[io.buildpacks.build.env]]
name = "GREETING"
value = "from project.toml"

[[io.buildpacks.group]]
id = "cnbkit/nodejs"

[[io.buildpacks.group]]
id = "acme/greeting"
  [io.buildpacks.group.script]
  api = "0.10"
  inline = """
mkdir -p "$CNB_LAYERS_DIR/greeting"
printf '%s\\n' "$GREETING" > "$CNB_LAYERS_DIR/greeting/greeting.txt"
printf '[types]\\nlaunch = true\\n' > "$CNB_LAYERS_DIR/greeting.toml"
"""
`;

let builder = "";
let work = "";
const apps: string[] = [];

beforeAll(async () => {
  builder = await referenceBuilder();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-adhoc-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  for (const app of apps) await rm(app, { recursive: true, force: true });
});

async function build(opts: Partial<BuildOptions> & { appDir: string; output: string }) {
  const lines: string[] = [];
  const t0 = Date.now();
  let adhocMs = 0; // until the ad-hoc buildpacks are in the builder view
  const show = process.env.CNBKIT_E2E_VERBOSE ? (l: string) => console.log(l) : () => {};
  const r = await buildApp({
    builder,
    onOutput: (l) => {
      lines.push(l);
      if (l.startsWith("Using buildpacks ")) adhocMs = Date.now() - t0;
      show(l);
    },
    ...opts,
  });
  return { ...r, text: lines.join("\n"), ms: Date.now() - t0, adhocMs };
}

describe.sequential("ad-hoc buildpacks", () => {
  test("--buildpack <id> --buildpack <source dir>: the template buildpack takes part, compiled once", {
    timeout: 900_000,
  }, async () => {
    const bpDir = join(work, "hello-buildpack");
    await scaffold({ template: "buildpack", dir: bpDir, id: "acme/hello" });
    const app = await fixtureApp("adhoc", { "hello.txt": `${GREETING}\n`, "server.js": HELLO_SERVER });
    apps.push(app);
    const output = `oci:${join(work, "app")}:latest`;
    const first = await build({ appDir: app, output, buildpacks: ["cnbkit/nodejs", bpDir] });
    expect(first.text).toMatch(
      /Using buildpacks cnbkit\/nodejs@[\d.]+, acme\/hello@0\.1\.0 instead of the builder's order/,
    );
    expect(await getFromImage(output)).toBe(`200 HELLO_FILE=/workspace/hello.txt hello=${GREETING}\n`);
    // The second build of an unchanged buildpack takes it from the packager's caches.
    const second = await build({ appDir: app, output, buildpacks: ["cnbkit/nodejs", bpDir] });
    expect(second.text).toMatch(/Added acme\/hello@0\.1\.0 from /);
    console.log(
      `ad-hoc source buildpack: first build ${first.ms} ms (buildpacks ready after ${first.adhocMs} ms), second ${second.ms} ms (${second.adhocMs} ms)`,
    );
  });

  test("--buildpack from=builder --buildpack <source dir>: the builder's order, the author's buildpack after each group", {
    timeout: 900_000,
  }, async () => {
    const bpDir = join(work, "hello-buildpack");
    if (!existsSync(bpDir)) await scaffold({ template: "buildpack", dir: bpDir, id: "acme/hello" });
    const app = await fixtureApp("adhoc-from-builder", { "hello.txt": `${GREETING}\n`, "server.js": HELLO_SERVER });
    apps.push(app);
    const output = `oci:${join(work, "from-builder")}:latest`;
    const r = await build({ appDir: app, output, buildpacks: ["from=builder", bpDir] });
    expect(r.text).toMatch(/Using the builder's order \(from=builder\) with acme\/hello@0\.1\.0 after every group/);
    // The builder's Node.js group ran (no --buildpack named it), and so did the author's buildpack.
    expect(await getFromImage(output)).toBe(`200 HELLO_FILE=/workspace/hello.txt hello=${GREETING}\n`);
  });

  test("project.toml: exclude keeps a file out of the image, build env reaches an inline buildpack", {
    timeout: 600_000,
  }, async () => {
    const app = await fixtureApp("project", {
      "project.toml": PROJECT_TOML,
      "server.js": PROJECT_SERVER,
      "secret.txt": "not for the image",
      "kept.txt": "kept",
    });
    apps.push(app);
    const output = `oci:${join(work, "project-app")}:latest`;
    const r = await build({ appDir: app, output });
    expect(r.text).toMatch(/Using buildpacks cnbkit\/nodejs@[\d.]+, acme\/greeting@0\.0\.0/);
    expect(await getFromImage(output)).toBe("200 greeting=from project.toml secret=false kept=true\n");
    // A command-line --env wins over project.toml's.
    await build({ appDir: app, output, env: { GREETING: "from --env" } });
    expect(await getFromImage(output)).toBe("200 greeting=from --env secret=false kept=true\n");
  });

  test("a --buildpack that is not a buildpack, or an id the builder lacks: one line, output untouched", async () => {
    const app = await fixtureApp("adhoc-bad", { "server.js": HELLO_SERVER });
    apps.push(app);
    const notBp = join(work, "not-a-buildpack");
    await mkdir(notBp);
    await writeFile(join(notBp, "README.md"), "hi");
    const output = `oci:${join(work, "bad")}:latest`;
    await expect(build({ appDir: app, output, buildpacks: [notBp] })).rejects.toThrow(
      /^--buildpack .*not-a-buildpack is not a buildpack: the directory has no buildpack.toml, package.toml or oci-layout \(found README\.md\)$/,
    );
    await expect(build({ appDir: app, output, buildpacks: ["acme/nope@9.9.9"] })).rejects.toThrow(
      /^--buildpack acme\/nope@9\.9\.9: the builder has no such buildpack; it has .*cnbkit\/nodejs@/,
    );
    expect(existsSync(join(work, "bad"))).toBe(false);
  });
});
