import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { LOCAL_JRES, localJavaBuildpackToml, localJreTarball } from "../../../../tools/local-builder/local-java.js";
import { sha256File } from "../../../../tools/local-builder/reproducible-tarball.js";
import bp from "../index.js";
import { plainJar } from "../testing/java-apps.js";
import { runImageHasShell } from "./add-shell-free-launch.js";

// A prebuilt jar built for a run image with no shell (BP_RUN_IMAGE_SHELL=false): no exec.d
// script anywhere in its layers, a port placeholder instead, and one warning.
let work: string;
let built: Awaited<ReturnType<typeof runBuild>>;

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

test("no exec.d program in any layer; the port variable is a placeholder the app resolves; one warning", () => {
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
  expect(warnings[0]).toMatch(/no exec\.d helpers/);
  // The processes are exec'd directly: a command array whose first word is java, no sh -c.
  for (const p of built.processes) expect(p.command[0], p.type).not.toMatch(/^(\/bin\/)?(ba)?sh$/);
  expect(built.processes.length).toBeGreaterThan(0);
});
