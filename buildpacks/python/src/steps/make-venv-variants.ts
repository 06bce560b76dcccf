/**
 * Step (the native build of a multi-platform build only): the venv as pip would fill it on
 * each other platform, made here at native speed, for those builds to restore instead of
 * running pip under qemu (python-hello's pip install took 5 s here and 41 s under qemu).
 *
 * It is made when pip's report says the other CPU resolves the same distributions
 * (pip-report.ts): then the pure-Python ones are the same files there, and each platform wheel
 * is swapped for the other CPU's wheel of the same version (wheel-swap.ts), which pip on this
 * machine downloads with the other platform's tags (`pip download --platform …`, pip's own
 * wheel choice). Anything else is declined with the reason, and that build runs pip itself.
 * The variant is stored under the venv's own key, which names the distro (whose glibc decides
 * the manylinux wheels): the other build restores it only if its key is the same.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CnbError, type Layer, type StepContext, type ToolEnv } from "@cnbkit/framework";
import { extract } from "@cnbkit/framework/dependencies";
import { runTool } from "@cnbkit/framework/process";
import { crossArchBlocker, parsePipReport } from "../pip-report.js";
import { explainPythonTool } from "../tool-errors.js";
import { sitePackages } from "../wheel.js";
import { platformTags, swapWheel } from "../wheel-swap.js";
import type { Runtime } from "./install-runtime.js";
import type { Tool } from "./install-tools.js";
import type { VenvMetadata } from "../venv-metadata.js";

/** What the step reads. */
export interface VariantInputs {
  ctx: StepContext<"app" | "multiPlatform" | "log" | "target">;
  venv: Layer<VenvMetadata>;
  runtime: Pick<Runtime, "version" | "minor" | "python">;
  env: ToolEnv;
  /**
   * pip's `--report` of the install and pip (its bin dir's python runs `-m pip`), or why there
   * is none (another package manager).
   */
  report: { path: string; pip: Tool } | { not: string };
  /** The requirements files pip read, app-relative (with what they include). */
  requirementFiles: readonly string[];
}

/** A distribution installed from a platform wheel. */
interface PlatformDist {
  /** Its dist-info dir, e.g. "markupsafe-3.0.4.dist-info". */
  distInfo: string;
  name: string;
  version: string;
}

/** Makes (or declines, saying why) the venv of each architecture that reuses this build's outputs. */
export async function makeVenvVariants(i: VariantInputs): Promise<void> {
  const variants = i.ctx.multiPlatform.variants;
  const key = i.venv.key;
  if (!variants || key === undefined) return;
  const blocker = await whyNot(i);
  for (const arch of variants.reusers) {
    if (blocker) {
      await variants.declineVariant(arch, "venv", blocker);
      continue;
    }
    const work = await mkdtemp(join(tmpdir(), "cnbkit-venv-variant-"));
    try {
      const made = "pip" in i.report ? await variantFor(i, i.report.pip, arch, work) : i.report.not;
      if (typeof made === "string") await variants.declineVariant(arch, "venv", made);
      else await variants.saveVariant(arch, "venv", key, { ...i.venv.metadata }, made.venv);
    } catch (err) {
      // A variant is an optimisation: the other build installs for itself instead.
      await variants.declineVariant(
        arch,
        "venv",
        err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err),
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

/** Why no other CPU's venv can be made from this install, or undefined. */
async function whyNot(i: VariantInputs): Promise<string | undefined> {
  if ("not" in i.report) return i.report.not;
  const report = parsePipReport(await readFile(i.report.path, "utf8"));
  if ("not" in report) return report.not;
  const texts = await Promise.all(i.requirementFiles.map((f) => i.ctx.app.readText(f)));
  for (const arch of i.ctx.multiPlatform.variants?.reusers ?? []) {
    const blocker = crossArchBlocker(report, texts, i.runtime.version, i.ctx.target.arch, arch);
    if (blocker) return blocker;
  }
  return undefined;
}

/** Copies the venv into `work` and swaps its platform wheels for `arch`'s; or why not. */
async function variantFor(i: VariantInputs, pip: Tool, arch: string, work: string): Promise<{ venv: string } | string> {
  const venv = join(work, "venv");
  await cp(i.venv.path, venv, { recursive: true, verbatimSymlinks: true });
  const site = sitePackages(venv, i.runtime.minor);
  const dists = await platformDists(site);
  if (dists.length === 0) return { venv };
  const tags = platformTags(arch, await glibcMinor(i));
  for (const dist of dists) {
    const wheels = join(work, "wheels", dist.distInfo);
    await pipDownload(i, pip, dist, tags, wheels);
    const [file] = await readdir(wheels);
    if (!file?.endsWith(".whl")) return `pip found no linux/${arch} wheel of ${dist.name} ${dist.version}`;
    const unpacked = join(work, "unpacked", dist.distInfo);
    await extract(join(wheels, file), unpacked);
    const swap = swapWheel(
      dist.distInfo,
      await readFile(join(site, dist.distInfo, "RECORD"), "utf8"),
      await readFile(join(unpacked, dist.distInfo, "RECORD"), "utf8"),
    );
    if ("not" in swap) return swap.not;
    for (const path of swap.remove) await rm(join(site, path));
    for (const path of swap.add) {
      await mkdir(dirname(join(site, path)), { recursive: true });
      await cp(join(unpacked, path), join(site, path));
    }
    await writeFile(join(site, dist.distInfo, "RECORD"), swap.record);
    i.ctx.log.detail(`${dist.name} ${dist.version}: ${file} for linux/${arch}`);
  }
  return { venv };
}

/** The distributions in `site` whose wheel is for one platform (a WHEEL `Tag` not ending in `-any`). */
async function platformDists(site: string): Promise<PlatformDist[]> {
  const out: PlatformDist[] = [];
  for (const distInfo of (await readdir(site)).filter((e) => e.endsWith(".dist-info")).sort()) {
    const wheel = await readFile(join(site, distInfo, "WHEEL"), "utf8").catch(() => "");
    const tags = [...wheel.matchAll(/^Tag:\s*(\S+)\s*$/gm)].map((m) => m[1] ?? "");
    if (tags.every((t) => t.endsWith("-any"))) continue;
    const [name = "", version = ""] = distInfo.slice(0, -".dist-info".length).split("-");
    out.push({ distInfo, name, version });
  }
  return out;
}

/** This build image's glibc minor version (2.x), which bounds the manylinux tags pip accepts. */
async function glibcMinor(i: VariantInputs): Promise<number> {
  const out = await runTool([i.runtime.python, "-c", "import os; print(os.confstr('CS_GNU_LIBC_VERSION'))"], {
    cwd: i.ctx.app.path,
    env: i.env,
    log: i.ctx.log,
    quiet: true,
  });
  const m = /glibc 2\.(\d+)/.exec(out);
  if (!m) throw new CnbError(`this build image's C library is not glibc ("${out.trim()}")`);
  return Number(m[1]);
}

/** `pip download` of `dist`'s wheel for `tags` (best first) into `into`, natively. */
async function pipDownload(
  i: VariantInputs,
  pip: Tool,
  dist: PlatformDist,
  tags: readonly string[],
  into: string,
): Promise<void> {
  const minor = i.runtime.minor;
  const command = [
    join(pip.bin, "python"),
    "-m",
    "pip",
    "download",
    "--quiet",
    "--no-deps",
    "--only-binary=:all:",
    ...tags.flatMap((t) => ["--platform", t]),
    "--python-version",
    minor,
    "--implementation",
    "cp",
    "--abi",
    `cp${minor.replace(".", "")}`,
    "--dest",
    into,
    `${dist.name}==${dist.version}`,
  ];
  await runTool(command, { explain: explainPythonTool, cwd: i.ctx.app.path, env: i.env, log: i.ctx.log, quiet: true });
}
