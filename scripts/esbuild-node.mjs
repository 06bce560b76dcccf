// esbuild options shared by the scripts that bundle cnbkit's own TypeScript to run on plain
// Node (the CLI and the benchmarks): one ESM file, a `require` for bundled CommonJS
// dependencies, and packages that must not be inlined left external.
export const nodeBundleOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // esbuild and postject are resolved from node_modules at run time (esbuild ships a native
  // binary). The CycloneDX library's optional plug-ins (XML, schema validation) are loaded
  // in try blocks; cnbkit writes JSON only, so they stay out of the bundle.
  external: ["esbuild", "postject", "xmlbuilder2", "libxmljs2", "ajv", "ajv-formats", "ajv-formats-draft2019"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  // Bundled CommonJS that reads __dirname at load (the CycloneDX library's resources module,
  // which the builder's lifecycle SBOMs pull in) gets the bundle's own directory.
  define: { __dirname: "import.meta.dirname" },
  logLevel: "warning",
};
