/**
 * Bundles a test's helper script (a driver or writer a test runs as a process of its own, to
 * kill it or run several at once) into one ESM file that plain Node runs: TypeScript imports
 * inlined, a `require` for bundled CommonJS, and the CycloneDX library's optional XML plug-ins
 * left out as the CLI bundle leaves them. The layout, layer-cache and runc tests each spelled
 * these options out.
 *
 * For tests in any stage.
 */
import { build } from "esbuild";

/** Bundles `entry` (a .ts file) to `outfile` and returns `outfile`; esbuild's errors throw. */
export async function bundleTestScript(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "silent",
    external: ["xmlbuilder2", "libxmljs2"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}
