/**
 * The SBOM of a Go binary from what the binary says of itself: `go version -m` prints the build
 * info the linker embeds (the Go version, the main module, every module linked in, with
 * replacements). That is the truth of what shipped, including modules a go.sum lists but the
 * binary doesn't use (left out) and replacements (the replacement is what shipped). Pure: the
 * command's output in, components out.
 */
import type { SbomComponent } from "@cnbkit/framework";

/** What one binary's build info holds. */
export interface BuildInfo {
  /** The Go version that built it, without "go" (e.g. "1.27.4"). */
  go: string;
  /** The main module's path. */
  main: string;
  /** The modules linked in: path and version, after replacement. */
  deps: Array<{ path: string; version: string }>;
}

/**
 * Reads `go version -m <binary>`'s output.
 *
 * @example
 * parseBuildInfo("bin/api: go1.27.4\n\tpath\texample.com/api\n\tmod\texample.com/api\t(devel)\t\n\tdep\tgithub.com/go-chi/chi/v5\tv5.2.3\th1:x=\n");
 * // { go: "1.27.4", main: "example.com/api", deps: [{ path: "github.com/go-chi/chi/v5", version: "v5.2.3" }] }
 * @throws Error when the output has no Go version (not a Go binary)
 */
export function parseBuildInfo(output: string): BuildInfo {
  const lines = output.split("\n");
  const go = /:\s*go(\S+)\s*$/.exec(lines[0] ?? "")?.[1];
  if (!go) throw new Error(`go version -m: no Go version in ${JSON.stringify(lines[0] ?? "")}`);
  const info: BuildInfo = { go, main: "", deps: [] };
  for (const line of lines.slice(1)) {
    const [kind = "", path = "", version = ""] = line.trim().split("\t");
    if (kind === "mod") info.main = path;
    else if (kind === "dep") info.deps.push({ path, version });
    // A replacement follows its dep: what shipped is the replacement (a local path has no version).
    else if (kind === "=>" && info.deps.length > 0) info.deps[info.deps.length - 1] = { path, version };
  }
  return info;
}

/** The purl of Go module `path` at `version` (the purl spec's golang type: the path as namespace/name). */
export function goModulePurl(path: string, version?: string): string {
  const encoded = path
    .split("/")
    .map((p) => encodeURIComponent(p))
    .join("/");
  return version ? `pkg:golang/${encoded}@${encodeURIComponent(version)}` : `pkg:golang/${encoded}`;
}

/**
 * The SBOM components of the binaries' build infos: the standard library of each Go version,
 * each main module as the application, and each linked module once.
 */
export function buildInfoComponents(infos: readonly BuildInfo[]): SbomComponent[] {
  const out = new Map<string, SbomComponent>();
  for (const info of infos) {
    out.set(`stdlib@${info.go}`, {
      name: "stdlib",
      version: info.go,
      purl: goModulePurl("stdlib", info.go),
      cpes: [`cpe:2.3:a:golang:go:${info.go}:*:*:*:*:*:*:*`],
      licenses: ["BSD-3-Clause"],
      type: "library",
    });
    if (info.main)
      out.set(`main@${info.main}`, { name: info.main, purl: goModulePurl(info.main), type: "application" });
    for (const dep of info.deps) {
      // A replacement by a local directory has no version: it is part of the app's own source.
      if (!dep.version) continue;
      out.set(`dep@${dep.path}@${dep.version}`, {
        name: dep.path,
        version: dep.version,
        purl: goModulePurl(dep.path, dep.version),
        type: "library",
      });
    }
  }
  return [...out.values()];
}
