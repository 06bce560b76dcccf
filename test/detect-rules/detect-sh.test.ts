/**
 * The sh bin/detect compiled from a buildpack's detect rules gives the same answer as the
 * TypeScript detect on the same inputs: for a table of app dirs and every reference
 * buildpack that declares rules (plus one with awkward names), detect runs in-process
 * through the test harness and as the generated script under dash and busybox sh, with the
 * Node detect (the bundle, run by this Node) as its fallback. Exit code, plan file bytes
 * and stdout must match, and the cases sh can decide must not start Node.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Buildpack } from "@cnbkit/framework";
import { detectRulesJson, isRuleDetect } from "@cnbkit/framework/packaging";
import { runDetect } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { describeDetectRules, detectScript, shQuote } from "../../builder-packager/src/compile/index.js";
import { bundleBuildpack } from "../../builder-packager/src/compile/bundle.js";
import caCerts from "../../buildpacks/ca-certificates/src/index.js";
import envVars from "../../buildpacks/environment-variables/src/index.js";
import go from "../../buildpacks/go/src/index.js";
import imageLabels from "../../buildpacks/image-labels/src/index.js";
import java from "../../buildpacks/java/src/index.js";
import nodejs from "../../buildpacks/nodejs/src/index.js";
import procfile from "../../buildpacks/procfile/src/index.js";
import python from "../../buildpacks/python/src/index.js";
import web from "../../buildpacks/web/src/index.js";
import plain from "./plain-buildpack.js";
import tricky from "./tricky-buildpack.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** An app entry: file content, a directory, or a symlink. */
type Entry = string | { dir: true } | { symlink: string };

interface AppCase {
  name: string;
  files: Record<string, Entry>;
  env?: Record<string, string>;
  platformEnv?: Record<string, string>;
  /** Directories made in `<platform>/env` once the harness has run (it skips them). */
  platformDirs?: string[];
  /** Service bindings the harness writes under `<platform>/bindings`. */
  bindings?: Record<string, { type: string; entries?: Record<string, string> }>;
  /** Buildpacks whose sh detect hands this app to Node. */
  node?: string[];
}

const CA = { "ca.pem": "-----BEGIN CERTIFICATE-----\n" };

const APPS: AppCase[] = [
  { name: "empty", files: {} },
  { name: "Procfile", files: { Procfile: "web: x\n" }, node: ["tricky", "procfile"] },
  { name: "a dir named Procfile", files: { "Procfile/x": "" }, node: ["tricky", "procfile"] },
  { name: "requirements.txt", files: { "requirements.txt": "flask\n" } },
  { name: "pyproject.toml", files: { "pyproject.toml": '[project]\nname = "x"\n' }, node: ["python"] },
  { name: "broken pyproject.toml", files: { "pyproject.toml": "[project\n" }, node: ["python"] },
  { name: "package.json", files: { "package.json": '{"name":"x"}' }, node: ["nodejs", "tricky", "web"] },
  { name: "broken package.json", files: { "package.json": "{" }, node: ["nodejs", "tricky", "web"] },
  { name: "index.html", files: { "index.html": "<h1>hi</h1>" }, node: ["web"] },
  {
    name: "public/index.html beside requirements.txt",
    files: { "public/index.html": "", "requirements.txt": "" },
    node: ["web"],
  },
  { name: "BP_WEB_SERVER=nginx", files: {}, env: { BP_WEB_SERVER: "nginx" }, node: ["web"] },
  { name: "go.mod", files: { "go.mod": "module x\n" } },
  { name: "go.work", files: { "go.work": "go 1.26\n" } },
  {
    name: "BP_GO_WORK_USE in <platform>/env",
    files: { "api/go.mod": "module x\n" },
    platformEnv: { BP_GO_WORK_USE: "./api" },
  },
  { name: "server.js", files: { "server.js": "" } },
  { name: "app.js symlink", files: { "real.js": "", "app.js": { symlink: "real.js" } } },
  { name: "dangling index.js", files: { "index.js": { symlink: "missing.js" } } },
  { name: "empty BP_NODE_PROJECT_PATH", files: { "server.js": "" }, platformEnv: { BP_NODE_PROJECT_PATH: "" } },
  {
    name: "BP_NODE_PROJECT_PATH",
    files: { "apps/web/package.json": "{}" },
    env: { BP_NODE_PROJECT_PATH: "apps/web" },
    node: ["nodejs"],
  },
  {
    name: "BP_NODE_PROJECT_PATH in <platform>/env",
    files: { "apps/web/server.js": "" },
    platformEnv: { BP_NODE_PROJECT_PATH: "apps/web\n" },
    node: ["nodejs"],
  },
  { name: "quotes, spaces and $", files: { "it's here.txt": "", "with space/$HOME.json": "", 'a"b': "" } },
  { name: "only one of allFiles", files: { "it's here.txt": "", Procfile: "" }, node: ["tricky", "procfile"] },
  { name: "a file named -n", files: { "-n": "", "manage.py": "" } },
  { name: "TRICKY_ON empty", files: { "index.js": "" }, env: { TRICKY_ON: "" } },
  { name: "TRICKY_ON in <platform>/env", files: { "app.py": "" }, platformEnv: { TRICKY_ON: "1" } },
  { name: "TRICKY_MODE=code", files: {}, env: { TRICKY_MODE: "code" }, node: ["tricky"] },
  { name: "TRICKY_MODE=cod", files: {}, env: { TRICKY_MODE: "cod" } },
  { name: "an app.jar", files: { "app.jar": "not a zip" }, node: ["java"] },
  { name: "a dotfile .x.jar", files: { ".x.jar": "" }, node: ["java"] },
  { name: "a dangling y.jar", files: { "y.jar": { symlink: "gone" } }, node: ["java"] },
  { name: "a dir named lib.jar", files: { "lib.jar": { dir: true } }, node: ["java"] },
  { name: "jar only in a subdir", files: { "target/app.jar": "" } },
  { name: "a dir named system.properties", files: { "system.properties": { dir: true } }, node: ["java"] },
  { name: "pom.xml", files: { "pom.xml": "<project/>" }, node: ["java"] },
  { name: "a tmp name with quotes", files: { "x it's $x.tmp": "", ".tmp": "" } },
  {
    name: "TRICKY_MODE file",
    files: { Procfile: "" },
    platformEnv: { TRICKY_MODE: "code" },
    node: ["tricky", "procfile"],
  },
  { name: "BPE_GREETING", files: {}, env: { BPE_GREETING: "hi" } },
  { name: "BPE_DEFAULT_X in <platform>/env", files: {}, platformEnv: { BPE_DEFAULT_X: "\n" } },
  { name: "only empty BPE_*", files: {}, env: { BPE_A: "", XBPE_B: "1", BPE: "1" }, platformEnv: { BPE_C: "" } },
  {
    name: "a value that looks like an export line",
    files: {},
    env: { NOTE: "x\nexport BPE_FAKE=1\nexport BPE_Q='1'", BPE_FAKE: "" },
  },
  { name: "BPE_ in a quoted multi-line value", files: {}, env: { BPE_ML: "it's\n'*' $x" } },
  // readPlatformEnv skips a dir, so the process env's value counts; sh must not fall back.
  { name: "BPE_D a dir in <platform>/env", files: {}, env: { BPE_D: "1" }, platformDirs: ["BPE_D"] },
  { name: "BP_OCI_SOURCE", files: {}, env: { BP_OCI_SOURCE: "https://example.com" } },
  { name: "BP_IMAGE_LABELS in <platform>/env", files: {}, platformEnv: { BP_IMAGE_LABELS: "a=b c='d e'" } },
  { name: "a ca-certificates binding", files: {}, bindings: { certs: { type: "ca-certificates\n", entries: CA } } },
  { name: "a CA-Certificates binding", files: {}, bindings: { certs: { type: "CA-Certificates", entries: CA } } },
  {
    name: "a ca-certificates type sh leaves to Node",
    files: {},
    bindings: { certs: { type: " ca-certificates\r\n", entries: CA } },
    node: ["ca-certificates"],
  },
  { name: "a binding of another type", files: {}, bindings: { m: { type: "dependency-mirror", entries: CA } } },
  {
    name: "a CA binding outside SERVICE_BINDING_ROOT",
    files: {},
    env: { SERVICE_BINDING_ROOT: "/nonexistent/cnbkit" },
    bindings: { certs: { type: "ca-certificates", entries: CA } },
  },
  {
    name: "BP_ENABLE_RUNTIME_CERT_BINDING= Yes",
    files: {},
    env: { BP_ENABLE_RUNTIME_CERT_BINDING: " Yes" },
    node: ["ca-certificates"],
  },
  {
    name: "the runtime helper enabled and disabled",
    files: {},
    env: { BP_ENABLE_RUNTIME_CERT_BINDING: "true", BP_RUNTIME_CERT_BINDING_DISABLED: "1" },
    node: ["ca-certificates"],
  },
  { name: "BP_ENABLE_RUNTIME_CERT_BINDING empty", files: {}, env: { BP_ENABLE_RUNTIME_CERT_BINDING: "" } },
];

interface Compiled {
  name: string;
  bp: Buildpack<never>;
  dir: string;
  script: string;
}

const BUILDPACKS: [string, Buildpack<never>, string][] = [
  ["procfile", procfile as Buildpack<never>, "buildpacks/procfile"],
  ["python", python as Buildpack<never>, "buildpacks/python"],
  ["nodejs", nodejs as Buildpack<never>, "buildpacks/nodejs"],
  ["java", java as Buildpack<never>, "buildpacks/java"],
  ["tricky", tricky as Buildpack<never>, "test/detect-rules"],
  ["environment-variables", envVars as Buildpack<never>, "buildpacks/environment-variables"],
  ["image-labels", imageLabels as Buildpack<never>, "buildpacks/image-labels"],
  ["web", web as Buildpack<never>, "buildpacks/web"],
  ["go", go as Buildpack<never>, "buildpacks/go"],
  ["ca-certificates", caCerts as Buildpack<never>, "buildpacks/ca-certificates"],
];

let work: string;
const compiled: Compiled[] = [];

/** Bundles the buildpack as `<work>/<name>/node/detect` (the name the framework dispatches on). */
async function bundleTo(entry: string, dest: string): Promise<void> {
  const bundle = await bundleBuildpack({ entry, nodeVersion: process.versions.node });
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, bundle.code);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-detect-sh-"));
  await writeFile(join(work, "buildpack.toml"), 'api = "0.12"\n\n[buildpack]\nid = "test/tricky"\nversion = "0.0.0"\n');
  for (const [name, bp, rel] of BUILDPACKS) {
    const dir = name === "tricky" ? work : join(repo, rel);
    const entry = name === "tricky" ? join(repo, rel, "tricky-buildpack.ts") : join(repo, rel, "src/index.ts");
    const bundle = join(work, name, "node", "detect");
    await bundleTo(entry, bundle);
    const rules = await describeDetectRules(bundle, process.execPath);
    if (!rules || !isRuleDetect(bp.detect)) throw new Error(`${name}: no detect rules`);
    expect(rules).toEqual(detectRulesJson(bp.detect.rules));
    // The fallback says on stderr that Node ran, so the test can tell who decided.
    const fallback = join(work, name, "node-detect");
    await writeFile(
      fallback,
      `#!/bin/sh\necho fallback >&2\nexec ${shQuote(process.execPath)} ${shQuote(bundle)} "$@"\n`,
    );
    await chmod(fallback, 0o755);
    const script = join(work, name, "bin", "detect");
    await mkdir(dirname(script), { recursive: true });
    await writeFile(script, detectScript(rules, { fallback: `"\${0%/*}/../node-detect"` }));
    await chmod(script, 0o755);
    compiled.push({ name, bp, dir, script });
  }
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function makeApp(files: Record<string, Entry>): Promise<string> {
  const app = join(work, "apps", String(Math.random()).slice(2));
  await mkdir(app, { recursive: true });
  for (const [rel, e] of Object.entries(files)) {
    const p = join(app, rel);
    await mkdir(dirname(p), { recursive: true });
    if (typeof e === "string") await writeFile(p, e);
    else if ("dir" in e) await mkdir(p, { recursive: true });
    else await symlink(e.symlink, p);
  }
  return app;
}

type Answer = { code: number; plan: string | undefined; stdout: string; error?: string };

/** The in-process TypeScript detect, as the exit code, plan and stdout a process would give. */
async function viaHarness(c: Compiled, app: AppCase, source: string) {
  const opts = {
    app: source,
    buildpackDir: c.dir,
    env: app.env ?? {},
    platformEnv: app.platformEnv ?? {},
    bindings: app.bindings ?? {},
  };
  try {
    const r = await runDetect(c.bp, opts);
    const planFile = join(dirname(r.app), "plan.toml");
    const answer: Answer = {
      code: r.passed ? 0 : 100,
      plan: existsSync(planFile) ? readFileSync(planFile, "utf8") : undefined,
      stdout: r.stdout.map((l) => `${l}\n`).join(""),
    };
    return { answer, app: r.app, platform: join(dirname(r.app), "platform") };
  } catch (err) {
    return { answer: { code: 1, plan: undefined, stdout: "", error: (err as Error).message } as Answer };
  }
}

/** The generated script under `shell`, with paths as env vars or (busybox) as positional arguments. */
function viaScript(c: Compiled, app: AppCase, dirs: { app: string; platform: string }, shell: string[]) {
  const plan = join(dirname(dirs.app), `sh-plan-${shell.length}.toml`);
  rmPlan(plan);
  const positional = shell.length > 1;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    CNB_BUILDPACK_DIR: c.dir,
    ...app.env,
    ...app.platformEnv,
    ...(positional ? {} : { CNB_PLATFORM_DIR: dirs.platform, CNB_BUILD_PLAN_PATH: plan }),
  };
  const args = positional ? [dirs.platform, plan] : [];
  const r = spawnSync(shell[0]!, [...shell.slice(1), c.script, ...args], { cwd: dirs.app, env, encoding: "utf8" });
  const answer: Answer = {
    code: r.status ?? -1,
    plan: existsSync(plan) ? readFileSync(plan, "utf8") : undefined,
    stdout: r.stdout,
  };
  return { answer, viaNode: r.stderr.startsWith("fallback\n"), stderr: r.stderr };
}

function rmPlan(plan: string): void {
  if (existsSync(plan)) throw new Error(`${plan} exists before the run`);
}

const SHELLS: string[][] = [["/bin/dash"], ["busybox", "sh"]];

describe.each(BUILDPACKS.map(([name]) => name))("%s: sh detect equals the TypeScript detect", (name) => {
  test.each(APPS.map((a) => [a.name, a] as const))("%s", async (_, app) => {
    const c = compiled.find((x) => x.name === name)!;
    const source = await makeApp(app.files);
    const ts = await viaHarness(c, app, source);
    if (!ts.app || !ts.platform) {
      // The TypeScript detect failed with an error: the script must hand over to Node, which exits 1.
      for (const shell of SHELLS) {
        const dirs = { app: source, platform: join(work, "no-platform") };
        const sh = viaScript(c, app, dirs, shell);
        expect(sh.viaNode).toBe(true);
        expect(sh.answer.code).toBe(1);
        expect(sh.stderr).toContain(ts.answer.error!.split("\n")[0]);
      }
      return;
    }
    for (const d of app.platformDirs ?? []) await mkdir(join(ts.platform, "env", d), { recursive: true });
    for (const shell of SHELLS) {
      const sh = viaScript(c, app, { app: ts.app, platform: ts.platform }, shell);
      expect({ shell: shell.join(" "), ...sh.answer }).toEqual({ shell: shell.join(" "), ...ts.answer });
      expect(sh.viaNode).toBe((app.node ?? []).includes(name));
    }
  });
});

test("a buildpack with a plain detect function describes itself as null", async () => {
  const bundle = join(work, "plain", "node", "detect");
  await bundleTo(join(repo, "test/detect-rules/plain-buildpack.ts"), bundle);
  expect(isRuleDetect(plain.detect)).toBe(false);
  expect(await describeDetectRules(bundle, process.execPath)).toBeUndefined();
});
