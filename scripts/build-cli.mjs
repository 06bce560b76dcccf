// Bundles the cnbkit CLI into one ESM file (builder-packager/dist/cnbkit.mjs) so it runs on
// plain Node without a TypeScript loader. esbuild and postject stay external: esbuild ships
// a native binary, and both are resolved from node_modules at run time.
import { chmod } from "node:fs/promises";
import { build } from "esbuild";

const outfile = new URL("../builder-packager/dist/cnbkit.mjs", import.meta.url).pathname;
await build({
  entryPoints: [new URL("../builder-packager/src/cli/bin.ts", import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // The CycloneDX library's optional plug-ins (XML, schema validation) are loaded in try
  // blocks; cnbkit writes JSON only, so they stay out of the bundle.
  external: ["esbuild", "postject", "xmlbuilder2", "libxmljs2", "ajv", "ajv-formats", "ajv-formats-draft2019"],
  // Bundled CommonJS dependencies still call require(); give the ESM bundle one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
});
await chmod(outfile, 0o755);
