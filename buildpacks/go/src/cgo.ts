/**
 * Whether the binaries are built with cgo: a pure decision.
 *
 * Off by default (CGO_ENABLED=0): the binaries are static, run on any run image (tiny
 * included), and build the same on every machine. It is turned on when a package the app
 * links, outside the standard library, has cgo files (mattn/go-sqlite3, confluent-kafka-go):
 * built without cgo such a package either fails to compile or, worse, compiles to a stub that
 * fails at run time. The standard library's cgo files (net, os/user) have pure-Go fallbacks,
 * so they never count. CGO_ENABLED in the build env decides by itself.
 */

/** What the decision reads. */
export interface CgoInputs {
  /** CGO_ENABLED from the settings, if set. */
  setting?: string;
  /** Import paths of the non-standard packages with cgo files the targets link (go list). */
  cgoPackages: readonly string[];
  /** Whether the build image has a C compiler (gcc or $CC). */
  compiler: boolean;
}

/** The decision, with the line that says why (and a warning when the app will not work). */
export interface CgoDecision {
  enabled: boolean;
  reason: string;
  warning?: string;
}

/** Up to three names, then a count. */
function some(names: readonly string[]): string {
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

/**
 * Decides cgo.
 *
 * @example
 * decideCgo({ cgoPackages: [], compiler: true }); // { enabled: false, reason: "no package outside the standard library uses cgo: static binaries" }
 */
export function decideCgo(i: CgoInputs): CgoDecision {
  const setting = i.setting?.trim();
  if (setting === "0" || setting === "1") {
    return { enabled: setting === "1", reason: `CGO_ENABLED=${setting} from the build env` };
  }
  if (i.cgoPackages.length === 0) {
    return { enabled: false, reason: "no package outside the standard library uses cgo: static binaries" };
  }
  const who = some(i.cgoPackages);
  if (!i.compiler) {
    return {
      enabled: false,
      reason: `${who} uses cgo, but the build image has no C compiler: built without cgo`,
      warning: `${who} may not work without cgo; use a build image with gcc (the standard one has it) or set CGO_ENABLED=0 to silence this`,
    };
  }
  return {
    enabled: true,
    reason: `${who} uses cgo: CGO_ENABLED=1 (the binary links the run image's glibc: use the standard run image, not tiny)`,
  };
}
