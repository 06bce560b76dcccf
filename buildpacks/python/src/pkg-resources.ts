/**
 * pkg_resources in a venv: which installed distributions need it, and what the build does
 * when the venv's setuptools no longer has it. setuptools 82 removed pkg_resources (81.0.0 is
 * the last release with it), while older packages still import it at start and declare only
 * `setuptools` (gunicorn 20.1.0: `Requires-Dist: setuptools (>=3.0)`, `import pkg_resources`
 * in gunicorn/util.py). An installer meets that requirement with the newest setuptools, so
 * such an app built green and crashed at start with `No module named 'pkg_resources'`.
 *
 * A distribution counts as needing pkg_resources when its METADATA requires setuptools (for
 * this interpreter, no extras) and one of its own .py files imports pkg_resources: a package
 * that requires setuptools to build or patch something else is not a reason to touch it.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { requiresDist } from "./dist-info.js";
import { evaluateMarker, type MarkerEnv } from "./markers.js";
import type { ManagerName } from "./package-manager.js";
import { satisfies } from "./pep440.js";
import { normalizeName } from "./start-command.js";

/** An installed distribution that requires setuptools. */
export interface SetuptoolsRequirer {
  name: string;
  version: string;
  /** Its specifier for setuptools ("" for any). */
  specifier: string;
  /** One of its .py files imports pkg_resources. */
  importsPkgResources: boolean;
}

const REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?([^;()]*)\)?\s*(?:;(.*))?$/;

/**
 * The setuptools specifier of a distribution's Requires-Dist entries that apply on `env` with
 * no extras; undefined when it does not require setuptools there.
 *
 * @example
 * setuptoolsSpecifier(["setuptools (>=3.0)", "eventlet ; extra == 'eventlet'"], env) // ">=3.0"
 */
export function setuptoolsSpecifier(requires: readonly string[], env: MarkerEnv): string | undefined {
  for (const r of requires) {
    const m = REQUIREMENT.exec(r.trim());
    if (!m || normalizeName(m[1]!) !== "setuptools") continue;
    const marker = m[3]?.trim();
    // A marker this reading cannot evaluate is taken as applying: the check then looks further.
    const applies = !marker || safeMarker(marker, env);
    if (applies) return m[2]!.replace(/\s+/g, "");
  }
  return undefined;
}

function safeMarker(marker: string, env: MarkerEnv): boolean {
  try {
    return evaluateMarker(marker, env);
  } catch {
    return true;
  }
}

/**
 * Whether Python source imports pkg_resources (`import pkg_resources`, `from pkg_resources
 * import …`, at any indentation: gunicorn's workers import it inside a try).
 */
export function importsPkgResources(source: string): boolean {
  return /^[ \t]*(?:import[ \t]+pkg_resources\b|from[ \t]+pkg_resources(?:\.|[ \t]+import\b))/m.test(source);
}

/** Whether `version` meets `specifier` ("" meets anything). */
function meets(version: string, specifier: string): boolean {
  return specifier === "" || satisfies(version, specifier);
}

/**
 * The setuptools requirement among requirements-file lines (`setuptools>=82`, `SetupTools`),
 * without its comment; undefined when none names setuptools.
 *
 * @example
 * setuptoolsLine("django==5.2\nsetuptools>=82  # new\n") // "setuptools>=82"
 */
export function setuptoolsLine(text: string): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
    if (m && normalizeName(m[1]!) === "setuptools") return line;
  }
  return undefined;
}

/** What the decision reads. */
export interface SetuptoolsState {
  manager: ManagerName;
  /** The file the install read (requirements.txt, uv.lock, …), named in the error. */
  lockfile: string;
  /** The installed setuptools' version (it has no pkg_resources). */
  installed: string;
  /** Every installed distribution that requires setuptools. */
  requirers: readonly SetuptoolsRequirer[];
  /** The user's own setuptools requirement and the file it is in, if any. */
  pin?: { file: string; requirement: string } | undefined;
  /** The inventory's setuptools version (81.0.0, the last with pkg_resources). */
  replacement: string;
}

/** What the build does: nothing, put the inventory's setuptools in, or stop. */
export type SetuptoolsDecision =
  | { kind: "keep" }
  | { kind: "replace"; line: string }
  | { kind: "fail"; error: CnbError };

/**
 * The decision for a venv whose setuptools has no pkg_resources. Replaced only where the
 * install chose setuptools on its own (pip, Pipenv, no pin by the user) and the replacement
 * meets every requirer's specifier; a lock (uv, Poetry: their sync removes what the lock does
 * not list) or the user's own pin is theirs to change, so the build stops with the fix
 * instead of an image that crashes at start.
 */
export function decideSetuptools(s: SetuptoolsState): SetuptoolsDecision {
  const users = s.requirers.filter((r) => r.importsPkgResources);
  if (users.length === 0) return { kind: "keep" };
  const who = users.map((u) => `${u.name} ${u.version}`).join(" and ");
  const why = `${who} ${users.length === 1 ? "imports" : "import"} pkg_resources, which setuptools 82 removed`;
  const upgrade = `upgrade ${users[0]!.name} to a release that does not import pkg_resources`;
  if (s.manager === "uv" || s.manager === "poetry") {
    const add = s.manager === "uv" ? `uv add "setuptools<82"` : `poetry add "setuptools<82"`;
    return {
      kind: "fail",
      error: new CnbError(`${s.lockfile}: ${why}, and the lock installs setuptools ${s.installed}`, {
        hint: `Pin setuptools<82 (${add}) and commit ${s.lockfile}, or ${upgrade}.`,
      }),
    };
  }
  if (s.pin) {
    return {
      kind: "fail",
      error: new CnbError(`${s.pin.file}: ${why}, and "${s.pin.requirement}" installed setuptools ${s.installed}`, {
        hint: `Pin setuptools<82 in ${s.pin.file}, or ${upgrade}.`,
      }),
    };
  }
  const unmet = s.requirers.find((r) => !meets(s.replacement, r.specifier));
  if (unmet) {
    return {
      kind: "fail",
      error: new CnbError(
        `${s.lockfile}: ${why}, and ${unmet.name} ${unmet.version} requires setuptools${unmet.specifier}`,
        { hint: `${upgrade[0]!.toUpperCase()}${upgrade.slice(1)}.` },
      ),
    };
  }
  const first = users[0]!;
  const asks = first.specifier === "" ? "setuptools" : `setuptools${first.specifier}`;
  return {
    kind: "replace",
    line: `${who} ${users.length === 1 ? "requires" : "require"} ${asks} for pkg_resources, which setuptools 82 removed: installed setuptools ${s.replacement} in place of ${s.installed}`,
  };
}

/** The installed setuptools' dist-info dir name and version, if any. */
export async function installedSetuptools(site: string): Promise<{ distInfo: string; version: string } | undefined> {
  for (const e of await readdir(site).catch(() => [] as string[])) {
    const m = /^setuptools-(.+)\.dist-info$/i.exec(e);
    if (m) return { distInfo: e, version: m[1]! };
  }
  return undefined;
}

/** The files a distribution's RECORD lists in site-packages, relative to it (none above it, such as bin/). */
export async function recordedFiles(site: string, distInfo: string): Promise<string[]> {
  const record = await readFile(join(site, distInfo, "RECORD"), "utf8").catch(() => "");
  return record
    .split(/\r?\n/)
    .map((l) => l.split(",")[0]!.trim())
    .filter((p) => p !== "" && !p.startsWith("..") && !p.startsWith("/"));
}

/** Every distribution in `site` but setuptools that requires setuptools on `env`, and whether it imports pkg_resources. */
export async function setuptoolsRequirers(site: string, env: MarkerEnv): Promise<SetuptoolsRequirer[]> {
  const out: SetuptoolsRequirer[] = [];
  for (const e of (await readdir(site).catch(() => [] as string[])).sort()) {
    if (!e.endsWith(".dist-info")) continue;
    const text = await readFile(join(site, e, "METADATA"), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const name = /^Name:\s*(.+)$/m.exec(text)?.[1]?.trim();
    const version = /^Version:\s*(.+)$/m.exec(text)?.[1]?.trim();
    if (!name || !version || normalizeName(name) === "setuptools") continue;
    const specifier = setuptoolsSpecifier(requiresDist(text), env);
    if (specifier === undefined) continue;
    let imports = false;
    for (const f of (await recordedFiles(site, e)).filter((p) => p.endsWith(".py"))) {
      if (importsPkgResources(await readFile(join(site, f), "utf8").catch(() => ""))) {
        imports = true;
        break;
      }
    }
    out.push({ name, version, specifier, importsPkgResources: imports });
  }
  return out;
}
