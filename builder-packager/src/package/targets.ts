/**
 * Package targets: which os/arch a buildpackage is made for, checked against what cnbkit
 * can compile and what the buildpack declares in `[[targets]]`.
 */
import { CnbError } from "@cnbkit/framework";
import type { Target } from "@cnbkit/framework/cnb-files";
import { COMPILE_TARGETS } from "../compile/index.js";
import { hostPlatform, type Platform } from "../oci/index.js";

/** A target as `os/arch[/variant]`, e.g. `linux/arm64`. */
export type TargetString = string;

const ARCHES = new Set(["amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"]);

/** Parses `os/arch[/variant]`; a one-line error naming `where` when malformed or unknown. */
export function parseTarget(s: string, where: string): Platform {
  const parts = s.split("/");
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture) {
    throw new CnbError(`${where}: target "${s}" must look like os/arch, e.g. linux/amd64`);
  }
  if (os !== "linux") throw new CnbError(`${where}: target "${s}": os "${os}" is not supported (only linux)`);
  if (!ARCHES.has(architecture)) {
    throw new CnbError(`${where}: target "${s}": unknown arch "${architecture}"`, {
      hint: `known: ${[...ARCHES].join(", ")}`,
    });
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** `os/arch[/variant]` of a platform. */
export function targetString(p: Platform): TargetString {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** True when a declared `[[targets]]` entry admits the platform (unset fields match anything). */
export function targetAdmits(t: Target, p: Platform): boolean {
  return (
    (!t.os || t.os === p.os) &&
    (!t.arch || t.arch === p.architecture) &&
    (!t.variant || !p.variant || t.variant === p.variant)
  );
}

/**
 * The targets to package: the requested ones, checked, or by default the host's
 * architecture when the buildpack admits it, else its first declared linux target.
 * `compiled` restricts the choice to what the compile stage can build.
 */
export function resolveTargets(
  requested: string[] | undefined,
  declared: Target[],
  compiled: boolean,
  where: string,
): TargetString[] {
  const check = (p: Platform, label: string): Platform => {
    const t = targetString(p);
    if (compiled && !(COMPILE_TARGETS as readonly string[]).includes(`${p.os}/${p.architecture}`)) {
      throw new CnbError(`${label}: target "${t}" cannot be compiled`, {
        hint: `supported: ${COMPILE_TARGETS.join(", ")}`,
      });
    }
    if (declared.length > 0 && !declared.some((d) => targetAdmits(d, p))) {
      const list = declared.map((d) => `${d.os ?? "*"}/${d.arch ?? "*"}`).join(", ");
      throw new CnbError(`${label}: target "${t}" is not among the buildpack's [[targets]] (${list})`);
    }
    return p;
  };
  if (requested && requested.length > 0) {
    const out = requested
      .flatMap((r) => r.split(","))
      .map((r) => r.trim())
      .filter(Boolean);
    return [...new Set(out.map((r) => targetString(check(parseTarget(r, where), where))))];
  }
  const host = hostPlatform();
  if (declared.length === 0 || declared.some((d) => targetAdmits(d, host))) return [targetString(check(host, where))];
  const first = declared.find((d) => (d.os ?? "linux") === "linux" && d.arch);
  if (!first?.arch) throw new CnbError(`${where}: the buildpack declares no linux target`);
  return [
    targetString(
      check({ os: "linux", architecture: first.arch, ...(first.variant ? { variant: first.variant } : {}) }, where),
    ),
  ];
}

/**
 * The declared `[[targets]]` that a build for `p` satisfies, narrowed to `p` (an entry that
 * leaves arch or variant open gets the built one). A compiled buildpack's binary runs on
 * `p` only, so its buildpack.toml and layers label must claim nothing else; pack would
 * otherwise package that directory as an image of an arch the binary is not for.
 */
export function targetsBuiltFor(declared: Target[], p: Platform): Target[] {
  const out: Target[] = [];
  const seen = new Set<string>();
  for (const t of declared) {
    if (!targetAdmits(t, p)) continue;
    const narrowed: Target = { ...t, os: p.os, arch: p.architecture };
    const variant = t.variant ?? p.variant;
    if (variant) narrowed.variant = variant;
    else delete narrowed.variant;
    const key = JSON.stringify(narrowed);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(narrowed);
  }
  return out;
}

/**
 * One line saying why a default packaging (no `--target`) left out targets the buildpack
 * declares, and how to get them; undefined when nothing was left out or targets were asked
 * for. Packaging one arch of several silently read as if the buildpack had only that one.
 *
 * @example
 * defaultTargetsNote(undefined, [{ os: "linux", arch: "amd64" }, { os: "linux", arch: "arm64" }], ["linux/amd64"], { os: "linux", architecture: "amd64" })
 * // "Packaging linux/amd64 only (this machine's); [[targets]] also lists linux/arm64: add --target linux/arm64, or --target linux/amd64,linux/arm64 for all"
 */
export function defaultTargetsNote(
  requested: string[] | undefined,
  declared: Target[],
  chosen: TargetString[],
  host: Platform,
): string | undefined {
  if (requested && requested.length > 0) return undefined;
  const declaredTargets = declared
    .filter((d) => (d.os ?? "linux") === "linux" && d.arch)
    .map((d) => targetString({ os: "linux", architecture: d.arch!, ...(d.variant ? { variant: d.variant } : {}) }));
  const left = [...new Set(declaredTargets)].filter((t) => !chosen.includes(t));
  if (left.length === 0) return undefined;
  const why = chosen.includes(targetString(host))
    ? "this machine's"
    : `the first of [[targets]]; this machine's ${targetString(host)} is not among them`;
  const all = [...chosen, ...left].join(",");
  return `Packaging ${chosen.join(", ")} only (${why}); [[targets]] also lists ${left.join(", ")}: add --target ${left.join(",")}, or --target ${all} for all`;
}
