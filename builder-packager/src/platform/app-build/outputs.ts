/**
 * What a build leaves besides the image, as pack does: the SBOMs (`--sbom-output-dir`) and
 * the lifecycle's report.toml (`--report-output-dir`). Copied from the build's /layers once
 * the image is written, so a failed build leaves no half a set of them.
 */
import { cp, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import type { Descriptor } from "../../oci/index.js";
import type { Destination } from "./destination.js";

/** Where the outputs go (a part of options.ts's BuildOptions), and what report.toml names. */
export interface BuildOutputDirs {
  /** Where the image was written, the output first, then each `--tag` (destination.ts). */
  destinations: readonly Destination[];
  sbomOutputDir?: string;
  reportOutputDir?: string;
}

/** Copies `<layers>/sbom` and `<layers>/report.toml` where `opts` asks for them. */
export async function copyBuildOutputs(layers: string, opts: BuildOutputDirs, written: Descriptor): Promise<void> {
  if (opts.sbomOutputDir) {
    const dir = resolve(opts.sbomOutputDir);
    await mkdir(dir, { recursive: true });
    // launch/ and build/ (and cache/, when a buildpack wrote one), as pack lays them out.
    if (await stat(join(layers, "sbom")).catch(() => undefined)) {
      await cp(join(layers, "sbom"), dir, { recursive: true });
    }
  }
  if (opts.reportOutputDir) {
    const dir = resolve(opts.reportOutputDir);
    await mkdir(dir, { recursive: true });
    const report = reportOfWritten(await readFile(join(layers, "report.toml"), "utf8"), opts, written);
    await writeFile(join(dir, "report.toml"), report);
  }
}

/**
 * The lifecycle's report with its [image] naming what cnbkit wrote: the lifecycle exported
 * to its layout repository (its tags are paths there, it has no digest), and cnbkit copied
 * that image out to the output and the tags, re-encoded.
 */
function reportOfWritten(text: string, opts: BuildOutputDirs, written: Descriptor): string {
  const report: TomlTable = parseToml(text, "report.toml");
  report.image = {
    tags: opts.destinations.map((d) => d.given),
    digest: written.digest,
    "manifest-size": written.size,
  };
  return stringifyToml(report);
}
