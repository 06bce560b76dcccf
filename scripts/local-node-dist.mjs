// Writes the reference builder's LOCAL variant (tools/local-builder/local-node.ts): the
// cnbkit/nodejs buildpack packaged offline with Node.js tarballs (one per line: 22, 24, 26)
// made from npm packages, cnbkit/python with CPythons 3.11, 3.13, 3.14 and 3.15 made from Debian's
// packages (tools/local-builder/local-python.ts) and cnbkit/java with JDKs and JREs 17, 21
// and 25 made from Debian's openjdk packages (tools/local-builder/local-java.ts), on amd64
// and arm64 alike, for machines that reach neither nodejs.org, python-build-standalone's
// releases nor a JDK vendor. Prints the generated builder.toml's path and
// its inputs digest (tab-separated) on stdout; progress goes to stderr.
//
// With --multi-arch, both arches' variants and one builder.toml whose cnbkit/nodejs, cnbkit/python
// and cnbkit/java are multi-arch buildpackages (tools/local-builder/multi-arch.ts), for
// `cnbkit builder create --target linux/amd64 --target linux/arm64`; --out is then required.
//
// Usage: node scripts/local-node-dist.mjs [--out <dir>] [--base <oci layout dir>] [--arch amd64|arm64 | --multi-arch]
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { nodeBundleOptions } from "./esbuild-node.mjs";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    base: { type: "string" },
    arch: { type: "string" },
    "multi-arch": { type: "boolean" },
  },
});
const multiArch = values["multi-arch"] === true;
if (multiArch && (values.arch !== undefined || values.out === undefined)) {
  process.stderr.write("error: --multi-arch takes --out <dir> and no --arch\n");
  process.exit(2);
}
if (values.arch !== undefined && values.arch !== "amd64" && values.arch !== "arm64") {
  process.stderr.write(`error: --arch "${values.arch}" is not amd64 or arm64\n`);
  process.exit(2);
}
const root = new URL("..", import.meta.url).pathname;
const tmpRoot = join(root, "node_modules", ".cache", "cnbkit-scripts");
await mkdir(tmpRoot, { recursive: true });
const dir = await mkdtemp(join(tmpRoot, "local-node-"));
const outfile = join(dir, "local-node.mjs");
try {
  await build({
    stdin: {
      contents: [
        multiArch
          ? `import { prepareMultiArchReferenceBuilder as prepare } from "./tools/local-builder/multi-arch.ts";`
          : `import { prepareLocalReferenceBuilder as prepare } from "./tools/local-builder/local-node.ts";`,
        `const r = await prepare({`,
        values.out ? `  outDir: ${JSON.stringify(resolve(values.out))},` : "",
        values.base ? `  baseLayout: ${JSON.stringify(resolve(values.base))},` : "",
        values.arch ? `  arch: ${JSON.stringify(values.arch)},` : "",
        // cnbkit/java on every arch, arm64 too (the library's default leaves it out there).
        `  java: true,`,
        `  onProgress: (l) => process.stderr.write("[local-node] " + l + "\\n"),`,
        `});`,
        `process.stdout.write(r.builderToml + "\\t" + r.inputsDigest + "\\n");`,
      ].join("\n"),
      resolveDir: root,
      sourcefile: "local-node-main.ts",
      loader: "ts",
    },
    outfile,
    ...nodeBundleOptions,
    // local-node.ts finds the repo from its own URL; the bundle lives elsewhere.
    define: { "import.meta.url": JSON.stringify(pathToFileURL(join(root, "tools/local-builder/local-node.ts")).href) },
    logLevel: "warning",
  });
  await import(pathToFileURL(outfile).href);
} finally {
  await rm(dir, { recursive: true, force: true });
}
