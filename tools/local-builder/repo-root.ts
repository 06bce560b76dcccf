/**
 * Where the cnbkit repository is, for the local builder's modules: found by looking for
 * builders/reference/builder.toml, so it holds whether they run from their sources or
 * bundled into a bench or script elsewhere (where `import.meta.url` points at the bundle).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root: the nearest directory above this file (or, when this file was bundled
 * elsewhere, above the working directory) that holds builders/reference/builder.toml.
 */
export const REPO_ROOT = findRepoRoot();

function findRepoRoot(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let d = start; ; d = dirname(d)) {
      if (existsSync(join(d, "builders/reference/builder.toml"))) return d;
      if (dirname(d) === d) break;
    }
  }
  throw new Error(
    "cannot find the cnbkit repository (builders/reference/builder.toml) above this file or the working directory",
  );
}
