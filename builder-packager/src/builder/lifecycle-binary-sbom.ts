/**
 * The SBOMs a lifecycle release carries beside its binaries, `/cnb/lifecycle/{lifecycle,
 * launcher}.sbom.{cdx,spdx,syft}.json`, made for a Go-built lifecycle that has none. The
 * exporter copies the launcher's into every app image (and the lifecycle's into the build
 * SBOM); without them it warns "Did not find SBOM ..." on every build. They list the Go
 * modules linked into each binary (its embedded build info), as the release's syft scan does.
 */
import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { SbomComponent } from "@cnbkit/framework";
import { memoByContent, stringRecord } from "../cache/index.js";
import { goJson } from "../package/index.js";
import { type GoBuildInfo, type GoModule, readGoBuildInfo } from "./go-buildinfo.js";

/** The lifecycle components the exporter looks for SBOMs of. */
export const LIFECYCLE_SBOM_COMPONENTS = ["lifecycle", "launcher"] as const;

/** The SBOM extensions the exporter copies (lifecycle `phase.SBOMExtensions`). */
export const LIFECYCLE_SBOM_EXTENSIONS = ["sbom.cdx.json", "sbom.spdx.json", "sbom.syft.json"] as const;

/**
 * What the memo key says of how the documents are made: change it when makeSboms or
 * go-buildinfo.ts change what they write, or builders keep the old documents.
 */
const SBOM_MEMO_VERSION = "2 (a local-copy replacement keeps its module's name and version)";

/**
 * The SBOM files `dir` lacks, by file name, made from its binaries' Go build info. A
 * release tarball's own SBOMs are kept: nothing is made for a component that has any.
 *
 * @example
 * const files = await lifecycleSboms("~/.cache/cnbkit/lifecycle/0.21.17", "0.21.17");
 * Object.keys(files); // ["lifecycle.sbom.cdx.json", ..., "launcher.sbom.syft.json"]
 */
export async function lifecycleSboms(dir: string, version: string): Promise<Record<string, string>> {
  const names = new Set(await readdir(dir));
  // Made once per lifecycle build: the CycloneDX library alone takes ~100 ms to load, which
  // an unchanged `builder create` paid every time. Keyed by the binaries' identity.
  const key = createHash("sha256").update(`${SBOM_MEMO_VERSION}\0${version}`);
  for (const component of LIFECYCLE_SBOM_COMPONENTS) {
    const st = await stat(join(dir, component)).catch(() => undefined);
    key.update(`\0${component} ${st?.ino} ${st?.size} ${st?.mtimeMs} ${[...names].sort().join(",")}`);
  }
  return memoByContent<Record<string, string>>({
    kind: "lifecycle-sboms",
    key: key.digest("hex"),
    check: stringRecord,
    make: () => makeSboms(dir, version, names),
  });
}

async function makeSboms(dir: string, version: string, names: Set<string>): Promise<Record<string, string>> {
  const { cycloneDxJson, spdxJson } = await import("@cnbkit/framework/sbom");
  const out: Record<string, string> = {};
  for (const component of LIFECYCLE_SBOM_COMPONENTS) {
    if (LIFECYCLE_SBOM_EXTENSIONS.some((ext) => names.has(`${component}.${ext}`))) continue;
    const info = await readGoBuildInfo(join(dir, component));
    const components = goComponents(info, version);
    const name = `buildpacksio/lifecycle ${component}`;
    out[`${component}.sbom.cdx.json`] = cycloneDxJson(components, { name, version });
    out[`${component}.sbom.spdx.json`] = spdxJson(components, { name });
    out[`${component}.sbom.syft.json`] = syftJson(components, name, version);
  }
  return out;
}

/** The main module (at the lifecycle's version when built from source), Go's stdlib and every dependency. */
function goComponents(info: GoBuildInfo, version: string): SbomComponent[] {
  const main: GoModule = {
    ...info.main,
    version: info.main.version && info.main.version !== "(devel)" ? info.main.version : `v${version}`,
  };
  const stdlib = info.goVersion.replace(/^go/, "");
  return [
    goComponent(main, "application"),
    { name: "stdlib", version: stdlib, purl: `pkg:golang/stdlib@${stdlib}`, type: "library" },
    ...info.deps.map((d) => goComponent(d, "library")),
  ];
}

function goComponent(m: GoModule, type: SbomComponent["type"]): SbomComponent {
  return {
    name: m.path,
    version: m.version,
    purl: `pkg:golang/${m.path}@${m.version}`,
    type,
    ...(m.localCopy ? { description: `built from a patched local copy (${m.localCopy})` } : {}),
  };
}

/**
 * Syft's own JSON (the `application/vnd.syft+json` the lifecycle names `sbom.syft.json`):
 * artifacts of type `go-module` with their purls, plus the descriptor and schema keys.
 */
function syftJson(components: SbomComponent[], name: string, version: string): string {
  return goJson({
    artifacts: components.map((c, i) => ({
      id: `go-module-${i}`,
      name: c.name,
      version: c.version ?? "",
      type: "go-module",
      foundBy: "cnbkit-go-buildinfo",
      locations: [],
      licenses: [],
      language: "go",
      cpes: [],
      purl: c.purl ?? "",
    })),
    artifactRelationships: [],
    source: { id: name, type: "file", target: { name, version } },
    distro: {},
    descriptor: { name: "cnbkit", version: "0.1.0" },
    schema: {
      version: "16.0.18",
      url: "https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-16.0.18.json",
    },
  });
}
