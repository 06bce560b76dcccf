/**
 * Platform API 0.15 with the real lifecycle: one small builder (the local cnbkit/nodejs and
 * two shell buildpacks) whose builder.toml has `[system]` with a post buildpack, and whose
 * order has a buildpack that declares `exec-env = ["test"]`. A lone server.js is built with
 * `--exec-env test` and with the default (production); the running image shows what each
 * buildpack put in its launch env: the test-only one only in the test image, the system one
 * in both. The exporter's io.buildpacks.exec-env label names the env of each build, and
 * `cnbkit run` starts each image in the env it names (CNB_EXEC_ENV, which the launcher reads).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openImageSource } from "../../builder-packager/src/oci/index.js";
import { type BuildOptions, buildApp } from "../../builder-packager/src/platform/index.js";
import { executable, smallBuilder } from "./small-builder.js";
import { fixtureApp, getFromImage } from "./support.js";

const SERVER = `require("node:http").createServer((_q, r) => {
  const e = process.env;
  r.end("TEST_TOOLS=" + e.TEST_TOOLS + " SYSTEM_POST=" + e.SYSTEM_POST + " CNB_EXEC_ENV=" + e.CNB_EXEC_ENV + "\\n");
}).listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");
`;

let work = "";
let app = "";
let builder = "";

/**
 * A shell buildpack (Buildpack API 0.12) that always detects and writes one launch layer
 * setting `name`=`value`; `toml` goes into its [buildpack] table.
 */
async function shellBuildpack(dir: string, id: string, toml: string, name: string, value: string): Promise<string> {
  await mkdir(join(dir, "bin"), { recursive: true });
  await writeFile(
    join(dir, "buildpack.toml"),
    `api = "0.12"\n[buildpack]\nid = "${id}"\nversion = "1.0.0"\n${toml}\n[[targets]]\nos = "linux"\narch = "amd64"\n`,
  );
  await executable(join(dir, "bin/detect"), "#!/bin/sh\nexit 0\n");
  await executable(
    join(dir, "bin/build"),
    `#!/bin/sh\nset -e\nmkdir -p "$CNB_LAYERS_DIR/stamp/env.launch"\nprintf '%s' '${value}' > "$CNB_LAYERS_DIR/stamp/env.launch/${name}.default"\nprintf '[types]\\nlaunch = true\\n' > "$CNB_LAYERS_DIR/stamp.toml"\necho "${id}: ${name}=${value} (CNB_EXEC_ENV=$CNB_EXEC_ENV)"\n`,
  );
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-exec-env-"));
  app = await fixtureApp("exec-env", { "server.js": SERVER });
  const testTools = await shellBuildpack(
    join(work, "test-tools"),
    "acme/test-tools",
    'exec-env = ["test"]',
    "TEST_TOOLS",
    "present",
  );
  const systemPost = await shellBuildpack(join(work, "system-post"), "acme/system-post", "", "SYSTEM_POST", "applied");
  builder = await smallBuilder(work, "exec-env and [system] e2e builder", [testTools, systemPost], {
    order: [{ group: [{ id: "cnbkit/nodejs" }, { id: "acme/test-tools", optional: true }] }],
    system: { post: { buildpacks: [{ id: "acme/system-post" }] } },
  });
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

async function build(opts: Partial<BuildOptions> & { output: string }): Promise<string> {
  const lines: string[] = [];
  const t0 = Date.now();
  await buildApp({ appDir: app, builder, cacheDir: join(work, "cache"), onOutput: (l) => lines.push(l), ...opts });
  console.log(`exec-env ${opts.execEnv ?? "(default)"} build: ${Date.now() - t0} ms`);
  return lines.join("\n");
}

async function execEnvLabel(image: string): Promise<string | undefined> {
  const { config } = await (await openImageSource(image)).image();
  return config.config?.Labels?.["io.buildpacks.exec-env"];
}

describe.sequential("Platform API 0.15: --exec-env and builder.toml [system]", () => {
  test("--exec-env test: the test-only buildpack takes part, the system post buildpack runs after the group", async () => {
    const output = `oci:${join(work, "test-app")}:latest`;
    const text = await build({ output, execEnv: "test" });
    expect(text).toMatch(/acme\/test-tools: TEST_TOOLS=present \(CNB_EXEC_ENV=test\)/);
    expect(text).toMatch(/acme\/system-post: SYSTEM_POST=applied \(CNB_EXEC_ENV=test\)/);
    expect(await execEnvLabel(output)).toBe("test");
    const lines: string[] = [];
    expect(await getFromImage(output, {}, { output: lines })).toBe(
      "200 TEST_TOOLS=present SYSTEM_POST=applied CNB_EXEC_ENV=test\n",
    );
    expect(lines).toContain("Starting in the execution environment the image was built for: CNB_EXEC_ENV=test");
  }, 600_000);

  test("the default (production): the test-only buildpack is left out at detect, the system one is not", async () => {
    const output = `oci:${join(work, "prod-app")}:latest`;
    const text = await build({ output });
    expect(text).not.toMatch(/acme\/test-tools/);
    expect(text).toMatch(/acme\/system-post: SYSTEM_POST=applied \(CNB_EXEC_ENV=production\)/);
    expect(await execEnvLabel(output)).toBe("production");
    // Production is the launcher's own default: cnbkit run adds nothing.
    expect(await getFromImage(output)).toBe("200 TEST_TOOLS=undefined SYSTEM_POST=applied CNB_EXEC_ENV=undefined\n");
  }, 600_000);

  test("an exec env that is no name: one line, before anything is built", async () => {
    const output = `oci:${join(work, "bad-app")}:latest`;
    await expect(build({ output, execEnv: "dev/local" })).rejects.toThrow(
      /^--exec-env "dev\/local" is not an execution environment name \(letters, digits, '\.' and '-'\), e\.g\. production, test or development$/,
    );
    await expect(openImageSource(output).then((s) => s.manifest())).rejects.toThrow();
  });
});
