import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { LOCAL_JRES, localJavaBuildpackToml, localJreTarball } from "../../../../tools/local-builder/local-java.js";
import { sha256File } from "../../../../tools/local-builder/reproducible-tarball.js";
import bp from "../index.js";
import { calculateMemory } from "../memory-calculator.js";
import { plainJar } from "../testing/java-apps.js";
import { buildJvmHelper } from "../testing/jvm-helper.js";
import { JVM_HELPER, runImageHasShell } from "./add-shell-free-launch.js";

// A prebuilt jar built for a run image with no shell (BP_RUN_IMAGE_SHELL=false), twice: by the
// buildpack as packaged (bin/jvm-helper beside it: the static helper is the one exec.d
// program) and as run from source (no binary: no exec.d program at all). Both have a port
// placeholder; only the one from source warns (the helper applies everything else).
let work: string;
let built: Awaited<ReturnType<typeof runBuild>>;
let packaged: Awaited<ReturnType<typeof runBuild>>;
let helper: Buffer;

beforeAll(async () => {
  const jre = LOCAL_JRES.find((j) => j.version.startsWith("17.") && j.arch === "amd64");
  if (!jre) throw new Error("no local JRE 17 for amd64");
  const tarball = await localJreTarball(jre);
  const real = await readFile(new URL("../../buildpack.toml", import.meta.url), "utf8");
  const buildpackToml = localJavaBuildpackToml(
    real,
    { jres: [{ ...jre, tarball, sha256: await sha256File(tarball) }] },
    "amd64",
  );
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-no-shell-"));
  await mkdir(join(work, "app"));
  await plainJar(join(work, "app"), join(work, "src"));
  built = await runBuild(bp, {
    app: join(work, "app"),
    buildpackToml,
    platformEnv: { BP_JVM_VERSION: "17", BP_RUN_IMAGE_SHELL: "false" },
    env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
  });
  // The buildpack dir as the packager stages it: buildpack.toml and bin/jvm-helper, built as
  // the packager builds it (builder-packager/src/compile/go-helper.ts).
  const bpDir = join(work, "buildpack");
  await mkdir(join(bpDir, "bin"), { recursive: true });
  await writeFile(join(bpDir, "buildpack.toml"), buildpackToml);
  helper = await readFile(buildJvmHelper(join(bpDir, "bin", JVM_HELPER)));
  packaged = await runBuild(bp, {
    app: join(work, "app"),
    buildpackDir: bpDir,
    platformEnv: { BP_JVM_VERSION: "17", BP_RUN_IMAGE_SHELL: "false" },
    env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
  });
}, 300_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

test("BP_RUN_IMAGE_SHELL: only false (any case, spaces around) says there is no shell", () => {
  expect(runImageHasShell({})).toBe(true);
  expect(runImageHasShell({ BP_RUN_IMAGE_SHELL: "true" })).toBe(true);
  expect(runImageHasShell({ BP_RUN_IMAGE_SHELL: " False " })).toBe(false);
});

test("from source (no bin/jvm-helper): no exec.d program in any layer; the port variable is a placeholder the app resolves; one warning", () => {
  expect(() => built.layer("jvm_memory")).toThrow();
  expect(() => built.layer("jvm_helpers")).toThrow();
  const dirs = readdirSync(built.layers, { recursive: true, encoding: "utf8" });
  expect(dirs.filter((d) => d.split("/").includes("exec.d"))).toEqual([]);
  expect(existsSync(built.layer("jre").path)).toBe(true);
  expect(built.layer("jvm_port").toml?.types).toEqual({ launch: true, build: false, cache: false });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder the app resolves
  expect(built.launchEnv().SERVER_PORT).toBe("${PORT:8080}");
  expect(built.launchEnv(undefined, { SERVER_PORT: "9000" }).SERVER_PORT).toBe("9000"); // the user's own wins
  const warnings = built.stdout.filter((l) => l.includes("BP_RUN_IMAGE_SHELL=false"));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/no exec\.d helpers \(no bin\/jvm-helper in /);
  expect(warnings[0]).toMatch(
    /BPL_DEBUG_\*, SSL_CERT_FILE's extra certificates and the startup-cache check are not applied$/,
  );
  // The processes are exec'd directly: a command array whose first word is java, no sh -c.
  for (const p of built.processes) expect(p.command[0], p.type).not.toMatch(/^(\/bin\/)?(ba)?sh$/);
  expect(built.processes.length).toBeGreaterThan(0);
});

test("packaged: the static jvm-helper is the one exec.d program, in jvm_memory; run with the launch env it sizes the JVM as the formula does", () => {
  expect(() => packaged.layer("jvm_helpers")).toThrow();
  const memory = packaged.layer("jvm_memory");
  expect(memory.toml?.types).toEqual({ launch: true, build: false, cache: false });
  const dirs = readdirSync(packaged.layers, { recursive: true, encoding: "utf8" });
  expect(dirs.filter((d) => d.split("/").slice(0, -1).includes("exec.d"))).toEqual([`jvm_memory/exec.d/${JVM_HELPER}`]);
  const execD = join(memory.path, "exec.d", JVM_HELPER);
  expect(helper.equals(readFileSync(execD))).toBe(true);
  // The binary is in the image, so its layer's SBOM names it, by its sha256.
  const cdx = packaged.sbom("jvm_memory", "cdx") as { components: { name: string; hashes?: { content: string }[] }[] };
  expect(cdx.components.map((c) => c.name)).toEqual([`cnbkit/java/${JVM_HELPER}`]);
  expect(cdx.components[0]?.hashes?.[0]?.content).toBe(createHash("sha256").update(helper).digest("hex"));
  // The app's class count reaches the calculator, as on an image with a shell.
  expect(Number(packaged.launchEnv("web").BPI_APP_CLASS_COUNT)).toBeGreaterThan(0);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder the app resolves
  expect(packaged.launchEnv().SERVER_PORT).toBe("${PORT:8080}");
  // Nothing is left unapplied, so no warning; the log says the helper does the truststore.
  expect(packaged.stdout.filter((l) => l.includes("BP_RUN_IMAGE_SHELL=false"))).toEqual([]);
  expect(packaged.stdout.filter((l) => /SSL_CERT_FILE/.test(l))).toEqual([
    expect.stringMatching(
      /Launch helpers in jvm-helper \(static, [\d.]+ MB\): startup-cache check, SSL_CERT_FILE's CA certificates in the truststore, JDWP agent \(BPL_DEBUG_\*\), memory calculator \(\d+ app classes\)$/,
    ),
  ]);

  // As the launcher runs it: the image's launch env, no cgroup limit (an empty fake root), fd 3.
  const env: Record<string, string> = { ...packaged.launchEnv("web"), CNB_JAVA_SYSTEM_ROOT: join(work, "no-cgroup") };
  const r = spawnSync(execD, [], { env, stdio: ["ignore", "pipe", "pipe", "pipe"], encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain("Container memory limit unset. Configuring JVM for 1G container");
  expect(Number(env.BPI_JVM_CLASS_COUNT)).toBeGreaterThan(1000);
  const expected = calculateMemory({ env }).javaToolOptions.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  expect(String(r.output[3])).toBe(`JAVA_TOOL_OPTIONS = "${expected}"\n`);
});
