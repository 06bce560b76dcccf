/**
 * Image extensions with the real lifecycle, cnbkit as the extender: a small builder (the
 * local cnbkit/nodejs, a shell buildpack and a shell extension) whose order-extensions has
 * an extension generating a build.Dockerfile that installs Debian's `hello` as root. The
 * lifecycle's detector runs the extension's detect and generate; cnbkit applies the
 * Dockerfile to the build image before the builder phase; the next buildpack runs `hello`
 * and puts what it said into the launch env, and the running image answers with it. The same
 * extension's run.Dockerfile installs `hello` into the run image (cnbkit applies its RUN lines
 * and the exporter puts the layer on top of the run image's): the app runs it per request, the
 * app image is labelled io.buildpacks.rebasable=false, and `cnbkit rebase` refuses it. For an
 * app with a `switch-run-image` file the extension instead writes a run.Dockerfile that
 * switches to `FROM <that image>` (the e2e run image with RUN_FLAVOR=two in its env, in a
 * registry on 127.0.0.1) and RUNs a step on it: the app image is built on the switched image
 * with that step's file, and its process sees RUN_FLAVOR. A switch to an image that cannot be
 * reached stops the build after the detector, in one line naming the extension.
 * Two full builds (CI time): the Dockerfile parser's refusals are unit-tested beside it.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openImageSource } from "../../builder-packager/src/oci/index.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import { extendImage } from "../../builder-packager/src/extensions/extend-image.js";
import { rebaseImage } from "../../builder-packager/src/platform/rebase.js";
import { executable, smallBuilder } from "./small-builder.js";
import { BASE_LAYOUT, fixtureApp, getFromImage } from "./support.js";

// RUN_HELLO: Debian's hello, run per request from the run image; RUN_EXT: a run.Dockerfile's file.
const SERVER = `const { execFileSync } = require("node:child_process");
const { readFileSync } = require("node:fs");
const tryOr = (f) => { try { return f().trim(); } catch { return "none"; } };
require("node:http").createServer((_q, r) => {
  const hello = tryOr(() => execFileSync("hello", { encoding: "utf8" }));
  const ext = tryOr(() => readFileSync("/etc/cnbkit-run-ext", "utf8"));
  r.end("HELLO_SAID=" + process.env.HELLO_SAID + " RUN_FLAVOR=" + process.env.RUN_FLAVOR + " RUN_HELLO=" + hello + " RUN_EXT=" + ext + "\\n");
}).listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");
`;

const BUILD_DOCKERFILE = `ARG base_image
FROM \${base_image}
ARG build_id=0
ARG user_id
USER root
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends hello && echo "installed hello, build_id=$build_id user_id=$user_id uid=$(id -u)"
USER \${user_id}
`;

const RUN_DOCKERFILE = `ARG base_image
FROM \${base_image}
ARG user_id
ARG group_id
USER root
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends hello && rm -rf /var/lib/apt/lists/*
USER \${user_id}:\${group_id}
`;

// Switches the run image and extends the switched one (%s: the image).
const SWITCH_DOCKERFILE = `FROM %s
ARG user_id
ARG group_id
USER root
RUN echo "made on the switched image as uid $(id -u)" > /etc/cnbkit-run-ext
USER \${user_id}:\${group_id}
`;

let work = "";
let app = "";
let switchApp = "";
let builder = "";
let registry: TestRegistry | undefined;
let runTwo = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-extensions-"));
  app = await fixtureApp("extensions", { "server.js": SERVER });
  const ext = join(work, "ext-hello");
  await mkdir(join(ext, "bin"), { recursive: true });
  await writeFile(
    join(ext, "extension.toml"),
    'api = "0.10"\n[extension]\nid = "acme/hello-ext"\nversion = "1.0.0"\nname = "Installs hello"\n',
  );
  await executable(join(ext, "bin/detect"), "#!/bin/sh\nexit 0\n");
  await executable(
    join(ext, "bin/generate"),
    // The working dir of generate is the app: a switch-run-image file there names the image.
    `#!/bin/sh\nset -e\nif [ -f switch-run-image ]; then\n  sed "s|%s|$(cat switch-run-image)|" > "$CNB_OUTPUT_DIR/run.Dockerfile" <<'EOF'\n${SWITCH_DOCKERFILE}EOF\n  exit 0\nfi\ncat > "$CNB_OUTPUT_DIR/build.Dockerfile" <<'EOF'\n${BUILD_DOCKERFILE}EOF\ncat > "$CNB_OUTPUT_DIR/run.Dockerfile" <<'EOF'\n${RUN_DOCKERFILE}EOF\n`,
  );
  const bp = join(work, "uses-hello");
  await mkdir(join(bp, "bin"), { recursive: true });
  await writeFile(
    join(bp, "buildpack.toml"),
    'api = "0.10"\n[buildpack]\nid = "acme/uses-hello"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\narch = "amd64"\n',
  );
  await executable(join(bp, "bin/detect"), "#!/bin/sh\nexit 0\n");
  await executable(
    join(bp, "bin/build"),
    `#!/bin/sh\nset -e\nsaid="$(hello 2>/dev/null || echo no hello)"\necho "acme/uses-hello: hello said: $said"\nmkdir -p "$CNB_LAYERS_DIR/said/env.launch"\nprintf '%s' "$said" > "$CNB_LAYERS_DIR/said/env.launch/HELLO_SAID.default"\nprintf '[types]\\nlaunch = true\\n' > "$CNB_LAYERS_DIR/said.toml"\n`,
  );
  registry = await startRegistry();
  runTwo = `${registry.host}/acme/run-two:latest`;
  builder = await smallBuilder(work, "image extensions e2e builder", [bp], {
    order: [{ group: [{ id: "cnbkit/nodejs" }, { id: "acme/uses-hello" }] }],
    extensions: [{ id: "acme/hello-ext", uri: ext }],
    "order-extensions": [{ group: [{ id: "acme/hello-ext" }] }],
  });
  await extendImage({ image: `oci:${BASE_LAYOUT}:run`, output: runTwo, env: ["RUN_FLAVOR=two"] });
  switchApp = await fixtureApp("extensions-switch", { "server.js": SERVER, "switch-run-image": runTwo });
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
  if (switchApp) await rm(switchApp, { recursive: true, force: true });
  await registry?.stop();
});

async function build(appDir: string, output: string): Promise<string> {
  const lines: string[] = [];
  const t0 = Date.now();
  await buildApp({ appDir, builder, cacheDir: join(work, "cache"), onOutput: (l) => lines.push(l), output });
  console.log(`extensions build of ${appDir}: ${Date.now() - t0} ms`);
  return lines.join("\n");
}

/** The image's config as skopeo reads it (a reader other than cnbkit's). */
function skopeoConfig(image: string): {
  config: { Labels: Record<string, string> };
  rootfs: { diff_ids: string[] };
  history: { created_by?: string; empty_layer?: boolean }[];
} {
  const r = spawnSync("skopeo", ["inspect", "--config", image], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`skopeo inspect --config ${image}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.sequential("image extensions, cnbkit applying the generated Dockerfiles", () => {
  test("a build.Dockerfile installs a Debian package as root before the buildpacks build; the next buildpack runs it", async () => {
    const output = `oci:${join(work, "app-image")}:latest`;
    const text = await build(app, output);
    // A builder with extensions builds phase by phase, even though a local builder is trusted.
    expect(text).toMatch(/has image extensions: running each lifecycle phase in its own container/);
    expect(text).toMatch(/Extending the build image with acme\/hello-ext/);
    // The spec's build args reach RUN; RUN ran as root after USER root.
    expect(text).toMatch(/installed hello, build_id=[0-9a-f-]{36} user_id=\d+ uid=0/);
    expect(text).toMatch(/acme\/uses-hello: hello said: Hello, world!/);
    // The run.Dockerfile's RUN lines: applied over the run image, one layer on top of its layers.
    expect(text).toMatch(/Extending the run image with acme\/hello-ext/);
    expect(text).toMatch(/Run image layer: \d+ paths added or changed/);
    expect(await getFromImage(output)).toBe(
      "200 HELLO_SAID=Hello, world! RUN_FLAVOR=undefined RUN_HELLO=Hello, world! RUN_EXT=none\n",
    );
    const dir = join(work, "app-image");
    const config = skopeoConfig(`oci:${dir}:latest`);
    expect(config.config.Labels["io.buildpacks.rebasable"]).toBe("false");
    // The extension layer sits right on the run image's top layer, with the lifecycle's history line.
    const top = JSON.parse(config.config.Labels["io.buildpacks.lifecycle.metadata"] ?? "{}").runImage.topLayer;
    const at = config.rootfs.diff_ids.indexOf(top);
    const run = await (await openImageSource(`oci:${BASE_LAYOUT}:run`)).image();
    expect(at).toBe(run.config.rootfs.diff_ids.length - 1);
    // apt's per-run caches (2 × 46 MB of /var/cache/apt/*.bin) are not in it: hello is ~0.1 MB.
    const manifest = JSON.parse(
      spawnSync("skopeo", ["inspect", "--raw", `oci:${dir}:latest`], { encoding: "utf8" }).stdout,
    );
    expect(manifest.layers[at + 1].size).toBeLessThan(1024 * 1024);
    const history = config.history.filter((h) => !h.empty_layer);
    expect(history[at + 1]?.created_by).toMatch(
      /^Layer: 'RUN apt-get update .*', Created by extension: acme\/hello-ext$/,
    );
    // cnbkit rebase refuses it in one line and writes nothing.
    const before = await readFile(join(dir, "index.json"), "utf8");
    const refusal = await rebaseImage({ image: `oci:${dir}:latest`, runImage: `oci:${BASE_LAYOUT}:run` }).catch(
      (e: Error) => e.message,
    );
    expect(refusal).toBe(
      `image oci:${dir}:latest is labelled io.buildpacks.rebasable=false: image extensions added layers to its run image, which a new run image would not have; rebuild it with cnbkit build`,
    );
    expect(await readFile(join(dir, "index.json"), "utf8")).toBe(before);
  }, 900_000);

  test("a run.Dockerfile FROM <image> switches the run image, and its RUN lines extend the switched one", async () => {
    const output = `oci:${join(work, "switched-image")}:latest`;
    const text = await build(switchApp, output);
    expect(text).toContain(`Run image switched by extension acme/hello-ext to ${runTwo}`);
    expect(text).not.toMatch(/Extending the build image/);
    expect(text).toMatch(/Extending the run image with acme\/hello-ext/);
    const { config } = await (await openImageSource(output)).image();
    const meta = JSON.parse(config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}");
    expect(meta.runImage.reference).toContain("acme/run-two");
    expect(await getFromImage(output)).toBe(
      "200 HELLO_SAID=no hello RUN_FLAVOR=two RUN_HELLO=none RUN_EXT=made on the switched image as uid 0\n",
    );
  }, 900_000);

  test("a run.Dockerfile FROM an image that cannot be reached is one line naming the extension, and nothing is written", async () => {
    const nowhere = "127.0.0.1:1/acme/nowhere:latest";
    const badApp = await fixtureApp("extensions-nowhere", { "server.js": SERVER, "switch-run-image": nowhere });
    const dir = join(work, "nowhere-image");
    try {
      const err = await build(badApp, `oci:${dir}:latest`).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toBe(
        `extension acme/hello-ext: run.Dockerfile FROM ${nowhere}: cannot reach registry 127.0.0.1:1: connection refused`,
      );
      await expect(readFile(join(dir, "index.json"))).rejects.toThrow();
    } finally {
      await rm(badApp, { recursive: true, force: true });
    }
  }, 900_000);
});
