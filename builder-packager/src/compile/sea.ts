/**
 * Making a Node single executable application (SEA) from a bundled script.
 *
 * Uses `node --build-sea` (Node >= 25.5), run by the pinned Node of the HOST arch with
 * `executable` pointing at the pinned, stripped Node of the TARGET arch: the SEA blob
 * format depends on the Node version, not the CPU, so an amd64 host builds arm64
 * binaries without emulation. The code cache is off: it is CPU- and version-specific,
 * makes the output differ from run to run, and measured slower to start here.
 * NODE_OPTIONS is ignored by the binaries (`execArgvExtension: "none"`).
 */
import { chmod, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { run } from "./node-runtime.js";

/** The fuse Node checks to know it carries a SEA blob (what postject would flip). */
export const SEA_SENTINEL_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Options for {@link buildSea}. */
export interface SeaOptions {
  /** The CommonJS script the executable runs. */
  script: string;
  /** A Node binary this machine can run, of the same version as `executable`. */
  runner: string;
  /** The (stripped) Node binary of the target arch to inject the script into. */
  executable: string;
  /** Where the executable goes; written to a temp name first, then renamed. */
  output: string;
}

/**
 * Writes `output`: `executable` with `script` embedded as its main script, mode 0755.
 * The same inputs give byte-identical output.
 *
 * @example
 * await buildSea({ script: code, runner: host.node, executable: target.stripped, output: "bin/main" });
 */
export async function buildSea(options: SeaOptions): Promise<void> {
  const outDir = dirname(options.output);
  const work = await mkdtemp(join(outDir, ".sea-"));
  try {
    const exe = join(work, "main");
    const config = join(work, "sea-config.json");
    await writeFile(join(work, "main.cjs"), options.script);
    // Paths relative to `work` (the cwd below): the blob records the main script's path
    // as written here, and an absolute temp path would make every build differ.
    await writeFile(
      config,
      JSON.stringify({
        main: "main.cjs",
        output: "main",
        executable: options.executable,
        disableExperimentalSEAWarning: true,
        useCodeCache: false,
        useSnapshot: false,
        // The buildpack's own runtime must not change with the app's NODE_OPTIONS (a
        // `--require` of a file in an app layer, a heap limit meant for the app's build).
        execArgvExtension: "none",
      }),
    );
    // A clean env: NODE_OPTIONS from the caller (vitest, a debugger) must not leak in.
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    const res = await run(options.runner, ["--build-sea", config], work, env);
    if (res.code !== 0) {
      const detail = res.stderr.trim().split("\n").at(-1) || `exit ${res.code}`;
      throw new CnbError(`node --build-sea failed for ${options.output}: ${detail}`);
    }
    await chmod(exe, 0o755);
    await rename(exe, options.output);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
