/**
 * The Poetry version a project gets (pure). Poetry 2 reads `[tool.poetry] requires-poetry`
 * and refuses to run outside it ("This project requires Poetry <=2.0.0, but you are using
 * Poetry 2.5.1"), so a project that pins it built with the default Poetry only as far as
 * Poetry's first run. The choice, in order:
 *
 * 1. BP_POETRY_VERSION, the user's explicit choice; one that requires-poetry excludes stops
 *    the build here, in one line, rather than at Poetry's refusal.
 * 2. No requires-poetry: buildpack.toml's default.
 * 3. The default when it satisfies requires-poetry, else the newest inventory Poetry that does
 *    (verified wheels, no index needed).
 * 4. Else the newest Poetry the package index has in the range: pip installs `poetry<spec>`
 *    from it, as any version the inventory lacks is installed (install-tools.ts), and the
 *    range itself keys the tool's layer and the venv.
 */
import { CnbError } from "@cnbkit/framework";
import { newestFirst, satisfies } from "./pep440.js";
import { poetryToSpecifier } from "./python-version.js";

/** What the choice reads. */
export interface PoetryVersionInputs {
  /** `[tool.poetry] requires-poetry`, as written (Poetry's `^2.0` or PEP 440). */
  requires: string | undefined;
  /** BP_POETRY_VERSION. */
  setting: string | undefined;
  /** buildpack.toml's `[metadata.default-tools] poetry`. */
  defaultVersion: string;
  /** The inventory's Poetry versions for this target. */
  inventory: readonly string[];
}

/** The Poetry to install: a version, or (from the index) a PEP 440 range; and why, for the log. */
export interface PoetryVersion {
  version: string;
  /** Why this version, when requires-poetry decided it. */
  why?: string;
}

/** Whether a chosen tool version is a range for the index to resolve (`<=2.0.0`), not a version. */
export function isRange(version: string): boolean {
  return /^[<>=!~]/.test(version);
}

/**
 * Chooses the Poetry version (see the file comment).
 *
 * @throws CnbError on a requires-poetry that is no version constraint, or a BP_POETRY_VERSION it excludes.
 * @example
 * choosePoetryVersion({ requires: "<=2.0.0", setting: undefined, defaultVersion: "2.5.1", inventory: ["2.5.1"] }).version // "<=2.0.0"
 */
export function choosePoetryVersion(i: PoetryVersionInputs): PoetryVersion {
  const setting = i.setting?.trim() || undefined;
  const raw = i.requires?.trim();
  if (!raw) return { version: setting ?? i.defaultVersion };
  const where = `pyproject.toml [tool.poetry] requires-poetry "${raw}"`;
  const spec = poetryToSpecifier(raw);
  if (!spec) {
    throw new CnbError(`${where} is not a version constraint`, {
      hint: 'Write it as Poetry does, e.g. ">=2.0,<3.0" or "^2.1".',
    });
  }
  if (setting) {
    if (isRange(setting) || satisfies(setting, spec)) return { version: setting };
    throw new CnbError(`BP_POETRY_VERSION: Poetry ${setting} is outside ${where}`, {
      hint: "Set BP_POETRY_VERSION to a version in that range, or unset it to let requires-poetry choose.",
    });
  }
  if (satisfies(i.defaultVersion, spec)) return { version: i.defaultVersion };
  const fits = newestFirst(i.inventory).find((v) => satisfies(v, spec));
  if (fits)
    return {
      version: fits,
      why: `${where}: the newest inventory Poetry in range (the default ${i.defaultVersion} is not)`,
    };
  return {
    version: spec,
    why: `${where}: no inventory Poetry is in range (${newestFirst(i.inventory).join(", ")}), so the newest the index has`,
  };
}

/** `[tool.poetry] requires-poetry` of a pyproject.toml, when it is a string. */
export function requiresPoetry(pyproject: { tool?: { poetry?: unknown } } | undefined): string | undefined {
  const value = (pyproject?.tool?.poetry as { "requires-poetry"?: unknown } | undefined)?.["requires-poetry"];
  return typeof value === "string" ? value : undefined;
}
