import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import { bundleEntry } from "./test-bundle-entry.js";
import { removeTempDirs, runExtensionDetect, runGenerate } from "../testing/index.js";
import type { ExtensionPlanInput } from "./extension-contract.js";
import { extension, extensionPhaseOf } from "./extension-main.js";

afterAll(removeTempDirs);

const jq = extension({
  detect: (ctx) => (ctx.env.NO_JQ ? ctx.fail("told not to") : ctx.pass({ provides: [{ name: "jq" }] })),
  generate(ctx) {
    const want = ctx.plan.resolve("jq");
    if (!want) return undefined;
    ctx.log.step(`Installing jq ${want.version ?? "(any)"}`);
    return {
      buildDockerfile:
        "ARG base_image\nFROM $base_image\nARG jq_version\nUSER root\nRUN apt-get install -y jq=$jq_version",
      buildArgs: [{ name: "jq_version", value: want.version ?? "*" }],
    };
  },
});

test("runGenerate: the plan is what buildpacks required of what detect provided; the Dockerfile and its args land in <output>", async () => {
  const run = await runGenerate(jq, {
    requires: [
      { name: "jq", metadata: { version: "1.7.1" } },
      { name: "node", metadata: { version: "24" } },
    ],
  });
  expect(run.plan).toEqual([{ name: "jq", metadata: { version: "1.7.1" } }]);
  expect(run.buildDockerfile).toMatch(/RUN apt-get install -y jq=\$jq_version\n$/);
  expect(run.runDockerfile).toBeUndefined();
  expect(run.extendConfig).toEqual({ build: { args: [{ name: "jq_version", value: "1.7.1" }] } });
  expect(run.stdout.join("\n")).toContain("Installing jq 1.7.1");
});

test("generate with nothing required of the extension writes nothing", async () => {
  const run = await runGenerate(jq, { requires: [{ name: "node" }] });
  expect(run.plan).toEqual([]);
  expect(await readdir(run.output).catch(() => [])).toEqual([]);
});

test("detect fails with its reason, and runGenerate refuses to go on", async () => {
  const run = await runExtensionDetect(jq, { env: { NO_JQ: "1" } });
  expect(run.passed).toBe(false);
  expect(run.stdout.join("\n")).toContain("told not to");
  await expect(runGenerate(jq, { env: { NO_JQ: "1" } })).rejects.toThrow("detect failed: told not to");
});

test("an extension may not require: a detect that does (past the types) is one line naming it", async () => {
  const sneaky = extension({
    detect: (ctx) => ctx.pass({ provides: [{ name: "a" }], requires: [{ name: "b" }] } as ExtensionPlanInput),
    generate: () => undefined,
  });
  await expect(runExtensionDetect(sneaky)).rejects.toThrow(
    "extension cnbkit/test-extension: detect passed with requires; an extension may only provide",
  );
});

test("an extension without detect passes, as the spec treats one without bin/detect", async () => {
  const run = await runExtensionDetect(extension({ generate: () => ({ runDockerfile: "FROM example.com/run:2" }) }));
  expect(run.result).toEqual({ kind: "pass", plans: [{ provides: [] }] });
});

test("extensionPhaseOf dispatches on detect and generate only", () => {
  expect(extensionPhaseOf(["node", "/cnb/extensions/x/1/bin/generate"], "node")).toBe("generate");
  expect(extensionPhaseOf(["node", "/x/bin/detect"], "node")).toBe("detect");
  expect(extensionPhaseOf(["node", "/x/bin/build"], "node")).toBeUndefined();
});

test("as bin/detect and bin/generate, one bundled program runs the spec's contract and its exit codes", async () => {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-ext-main-"));
  try {
    const index = fileURLToPath(new URL("../index.ts", import.meta.url));
    const dir = join(root, "ext");
    await mkdir(join(dir, "bin"), { recursive: true });
    await writeFile(
      join(root, "entry.ts"),
      `import { extension, CnbError } from ${JSON.stringify(index)};
export default extension({
  detect: (ctx) => ctx.env.SKIP ? ctx.fail("skipped") : ctx.pass({ provides: [{ name: "curl" }] }),
  generate(ctx) {
    if (ctx.env.BREAK) throw new CnbError("Aptfile: line 2 is empty", { hint: "remove it" });
    return { runDockerfile: "FROM example.com/run:" + (ctx.plan.version("curl") ?? "latest") };
  },
});
`,
    );
    await bundleEntry(join(root, "entry.ts"), dir, ["detect", "generate"]);
    await writeFile(join(dir, "extension.toml"), 'api = "0.10"\n[extension]\nid = "test/curl"\nversion = "1.0.0"\n');
    const app = join(root, "app");
    const platform = join(root, "platform");
    const output = join(root, "output");
    await mkdir(app);
    await mkdir(platform);
    await writeFile(join(root, "bp-plan.toml"), '[[entries]]\nname = "curl"\n[entries.metadata]\nversion = "8"\n');
    const run = (phase: string, env: Record<string, string>) =>
      spawnSync(join(dir, "bin", phase), [], {
        cwd: app,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", CNB_EXTENSION_DIR: dir, CNB_PLATFORM_DIR: platform, ...env },
      });
    const detected = run("detect", { CNB_BUILD_PLAN_PATH: join(root, "plan.toml") });
    expect(detected.status).toBe(0);
    expect(await readFile(join(root, "plan.toml"), "utf8")).toMatch(/\[\[provides\]\]\nname = "curl"/);
    expect(run("detect", { CNB_BUILD_PLAN_PATH: join(root, "plan2.toml"), SKIP: "1" }).status).toBe(100);
    const gen = { CNB_OUTPUT_DIR: output, CNB_BP_PLAN_PATH: join(root, "bp-plan.toml") };
    const generated = run("generate", gen);
    expect(generated.status).toBe(0);
    expect(await readFile(join(output, "run.Dockerfile"), "utf8")).toBe("FROM example.com/run:8\n");
    const broken = run("generate", { ...gen, BREAK: "1" });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/^error: Aptfile: line 2 is empty\n/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
    const unset = run("generate", { CNB_BP_PLAN_PATH: join(root, "bp-plan.toml") });
    expect(unset.status).toBe(1);
    expect(unset.stderr).toContain("extension generate: CNB_OUTPUT_DIR is not set");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
