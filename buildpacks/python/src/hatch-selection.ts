/**
 * Whether hatchling, the project's build backend, finds anything to put in its wheel.
 *
 * With no `[tool.hatch.build.targets.wheel]` selection, hatchling ships the package or module
 * named after the project (`<name>/__init__.py`, `src/<name>/__init__.py`, `<name>.py`) and
 * since 1.19 fails otherwise ("Unable to determine which files to ship inside the wheel").
 * An app kept as a flat `app.py` beside a `[build-system]` that a template added (PDM's and
 * Hatch's `init` write one) is no package: `pip install -e .` of it fails before any
 * dependency installs (litestar-org/litestar-hello-world).
 */

/** The parts of pyproject.toml hatchling's file selection reads. */
export interface HatchShape {
  project?: { name?: unknown };
  "build-system"?: unknown;
  tool?: unknown;
}

/** Selection options of `[tool.hatch.build]` and `[tool.hatch.build.targets.wheel]` that name what to ship. */
const SELECTION = ["packages", "include", "only-include", "sources", "force-include", "bypass-selection"];

/**
 * The module name hatchling looks for when it would find nothing to ship; undefined when the
 * backend is not hatchling, a selection is configured, or the default file is there.
 *
 * @example
 * await hatchFindsNothing({ project: { name: "hello-world" }, "build-system": { "build-backend": "hatchling.build" } }, async () => false)
 * // "hello_world"
 */
export async function hatchFindsNothing(
  pyproject: HatchShape,
  exists: (path: string) => Promise<boolean>,
): Promise<string | undefined> {
  const backend = (pyproject["build-system"] as { "build-backend"?: unknown } | undefined)?.["build-backend"];
  if (backend !== "hatchling.build") return undefined;
  const name = pyproject.project?.name;
  if (typeof name !== "string" || !name) return undefined;
  const hatch = (pyproject.tool as { hatch?: { build?: Record<string, unknown> } } | undefined)?.hatch?.build;
  const wheel = (hatch?.targets as { wheel?: Record<string, unknown> } | undefined)?.wheel;
  if ([hatch, wheel].some((t) => t && SELECTION.some((k) => k in t))) return undefined;
  // hatchling's normalize_file_name_component: runs of anything but word characters and dots become "_".
  const module = name.replace(/[^\w.]+/g, "_");
  for (const path of [`${module}/__init__.py`, `src/${module}/__init__.py`, `${module}.py`]) {
    if (await exists(path)) return undefined;
  }
  return module;
}
