// Bundles the cnbkit CLI into one ESM file (builder-packager/dist/cnbkit.mjs, or the path
// given as the first argument) so it runs on plain Node without a TypeScript loader.
import { chmod } from "node:fs/promises";
import { build } from "esbuild";
import { nodeBundleOptions } from "./esbuild-node.mjs";

import { resolve } from "node:path";

const outfile = process.argv[2]
  ? resolve(process.argv[2])
  : new URL("../builder-packager/dist/cnbkit.mjs", import.meta.url).pathname;
await build({
  ...nodeBundleOptions,
  entryPoints: [new URL("../builder-packager/src/cli/bin.ts", import.meta.url).pathname],
  outfile,
  banner: { js: `#!/usr/bin/env node\n${nodeBundleOptions.banner.js}` },
});
await chmod(outfile, 0o755);
