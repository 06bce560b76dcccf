/**
 * Which Go toolchain builds the app: a pure decision over the settings, go.mod/go.work and the
 * versions the inventory has for this target.
 *
 * In order: BP_GO_VERSION (a semver range, "1.26" meaning 1.26.x); else the `toolchain` line
 * (that line's newest patch, at least that patch); else the `go` line, which since Go 1.21 is
 * a minimum (the newest patch of its line; when the inventory has no release of that line,
 * the newest release above it, which builds the module at the language version its go line
 * names); else the buildpack's default line. The build runs with GOTOOLCHAIN=local, so the go
 * command never fetches another toolchain: an app whose go line is newer than every release
 * here fails now, with one line, rather than in the middle of `go build`.
 */
import { CnbError } from "@cnbkit/framework";
import semver from "semver";

/** What the choice reads. */
export interface GoVersionInputs {
  /** BP_GO_VERSION, if set. */
  setting?: string;
  /** The `go` and `toolchain` lines, and the file they came from (go.work wins over go.mod). */
  file?: { name: string; go?: string; toolchain?: string };
  /** The buildpack's default range ("1.27.x"). */
  defaultRange: string;
  /** The Go versions the inventory has for this target (any order). */
  available: readonly string[];
}

/** The choice: the exact version, and why, for one log line. */
export interface GoVersionChoice {
  version: string;
  reason: string;
}

/** "1.22" → "1.22.0"; "1.22rc1" → "1.22.0-rc1"; "1.22.3" unchanged. */
export function semverOf(go: string): string {
  const m = /^(1\.\d+)(\.\d+)?((?:rc|beta)\d+)?$/.exec(go);
  if (!m) return go;
  return `${m[1]}${m[2] ?? ".0"}${m[3] ? `-${m[3]}` : ""}`;
}

/** The newest of `versions` satisfying `range`. */
function newest(versions: readonly string[], range: string): string | undefined {
  return semver.maxSatisfying([...versions], range) ?? undefined;
}

/** The "1.N" line of a version. */
function lineOf(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

/**
 * Chooses the toolchain version.
 *
 * @example
 * chooseGoVersion({ file: { name: "go.mod", go: "1.26" }, defaultRange: "1.27.x", available: ["1.26.11", "1.27.4"] });
 * // { version: "1.26.11", reason: 'go.mod\'s go line 1.26: the newest 1.26 patch' }
 * @throws CnbError when nothing in the inventory satisfies what the app asks for
 */
export function chooseGoVersion(i: GoVersionInputs): GoVersionChoice {
  const have = [...i.available].sort(semver.rcompare);
  const newestHere = have[0] ?? "none";
  if (i.setting !== undefined && i.setting.trim() !== "") {
    const asked = i.setting.trim().replace(/^go/, "");
    // "1.26" means the 1.26 line, as the go command and Paketo read it, not exactly 1.26.0.
    const range = /^1\.\d+$/.test(asked) ? `${asked}.x` : asked;
    const version = semver.validRange(range) ? newest(have, range) : undefined;
    if (!version) {
      throw new CnbError(
        `BP_GO_VERSION "${i.setting}" matches no Go version in the inventory (${have.join(", ") || "none"})`,
        { hint: "Set BP_GO_VERSION to one of those lines (such as 1.27), or use a builder whose inventory has it" },
      );
    }
    return { version, reason: `BP_GO_VERSION "${i.setting}"` };
  }
  const f = i.file;
  if (f?.toolchain) {
    const min = semverOf(f.toolchain);
    const version = newest(have, `>=${min} <${lineOf(min)}.999999`);
    if (version)
      return { version, reason: `${f.name}'s toolchain line go${f.toolchain}: the newest ${lineOf(min)} patch` };
  }
  if (f?.go) {
    const min = semverOf(f.go);
    const line = lineOf(min);
    const inLine = newest(have, `>=${min} <${line}.999999`);
    if (inLine) return { version: inLine, reason: `${f.name}'s go line ${f.go}: the newest ${line} patch` };
    const above = newest(have, `>=${min}`);
    if (above) {
      return {
        version: above,
        reason: `${f.name}'s go line ${f.go} is a minimum and the inventory has no ${line} release at or above it; Go ${lineOf(above)} builds the module at language version ${line}`,
      };
    }
    throw new CnbError(`${f.name}: go ${f.go} is newer than every Go in the inventory (newest: ${newestHere})`, {
      hint: "Lower the go line (go mod edit -go=<version>), or use a builder whose inventory has that release",
    });
  }
  const version = newest(have, i.defaultRange);
  if (!version) {
    throw new CnbError(
      `buildpack.toml: the default Go range "${i.defaultRange}" matches no version in the inventory (${have.join(", ") || "none"})`,
    );
  }
  return { version, reason: `no go.mod go line or BP_GO_VERSION: the default ${i.defaultRange}` };
}
