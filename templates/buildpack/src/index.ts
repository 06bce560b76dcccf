/**
 * {{name}} ({{id}}): detect passes when the app has a hello.txt; build installs a `hello`
 * command that prints it, in a layer that is reused while hello.txt is unchanged, and tells
 * the running app where the file is (HELLO_FILE).
 *
 * The four things most buildpacks do are all here: a cached layer, an environment
 * variable, a process and an SBOM entry. `npm test` runs src/index.test.ts in-process;
 * `npm run package` compiles this file into a single-file buildpack.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildpack } from "@cnbkit/framework";

export default buildpack({
  async detect(ctx) {
    if (!(await ctx.app.exists("hello.txt"))) return ctx.fail("no hello.txt");
    // Provide and require "hello": this buildpack satisfies its own plan entry.
    return ctx.pass({ provides: [{ name: "hello" }], requires: [{ name: "hello" }] });
  },

  async build(ctx) {
    const greeting = (await ctx.app.readText("hello.txt")).trim();
    const sha256 = createHash("sha256").update(greeting).digest("hex");

    // A cached layer: filled on the first build, reused while the key is unchanged.
    // build: later buildpacks see it; launch: it is in the app image; cache: kept between builds.
    const hello = await ctx.layers.cached("hello", {
      types: { build: true, launch: true, cache: true },
      key: { sha256 },
      async fill(layer) {
        await mkdir(join(layer.path, "bin"), { recursive: true });
        const script = join(layer.path, "bin", "hello");
        // `<layer>/bin` is put on PATH by the lifecycle.
        await writeFile(script, `#!/bin/sh\necho "${greeting.replace(/["\\$`]/g, "\\$&")}"\n`);
        await chmod(script, 0o755);
      },
    });

    // An environment variable for every process of the running app (a default: a value the
    // user sets at run time wins).
    hello.env.launch.default("HELLO_FILE", "/workspace/hello.txt");

    // An SBOM entry for what the layer contains.
    hello.sbom.add({
      name: "hello",
      version: "0.1.0",
      purl: "pkg:generic/hello@0.1.0",
      licenses: ["Apache-2.0"],
      sha256,
    });

    // A process of its own type, not the default: in a builder this buildpack runs after a
    // language buildpack (e.g. Node.js) whose `web` process stays the image's default, and
    // `cnbkit run --process hello` (or `/cnb/process/hello`) runs this one.
    return { processes: [{ type: "hello", command: ["hello"] }] };
  },
});
