/**
 * A framework buildpack or extension entry bundled for a test as `cnbkit package` lays it out:
 * one Node program at `<dir>/bin/main`, with each phase's `bin/<name>` a link to it (the
 * framework dispatches on the name it was invoked as).
 */
import { chmod, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";

/**
 * Bundles `entry` (a .ts file) to `<dir>/bin/main` and links `phases` (e.g. `["detect", "build"]`)
 * to it.
 */
export async function bundleEntry(entry: string, dir: string, phases: string[]): Promise<void> {
  await mkdir(join(dir, "bin"), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: join(dir, "bin", "main"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "silent",
    // Optional CycloneDX plugins the library loads lazily inside try/catch; not installed.
    external: ["ajv-formats-draft2019", "xmlbuilder2", "libxmljs2"],
    banner: { js: '#!/usr/bin/env node\nconst __importMetaUrl = require("url").pathToFileURL(__filename).href;' },
    define: { "import.meta.url": "__importMetaUrl" },
  });
  await chmod(join(dir, "bin", "main"), 0o755);
  for (const phase of phases) await symlink("main", join(dir, "bin", phase));
}
