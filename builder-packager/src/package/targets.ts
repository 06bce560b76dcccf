/**
 * Package targets: which os/arch a buildpackage is made for, checked against what cnbkit
 * can compile and what the buildpack declares in `[[targets]]`.
 */
import { CnbError } from "@cnbkit/framework";
import type { Target } from "@cnbkit/framework/cnb-files";
import { COMPILE_TARGETS } from "../compile/compile.js";
import { hostPlatform, type Platform } from "../oci/image.js";

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
