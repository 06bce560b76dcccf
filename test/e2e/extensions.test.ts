/**
 * Image extensions with the real lifecycle, cnbkit as the extender: a small builder (the
 * local cnbkit/nodejs, a shell buildpack and a shell extension) whose order-extensions has
 * an extension generating a build.Dockerfile that installs Debian's `hello` as root. The
 * lifecycle's detector runs the extension's detect and generate; cnbkit applies the
 * Dockerfile to the build image before the builder phase; the next buildpack runs `hello`
 * and puts what it said into the launch env, and the running image answers with it. For an
 * app with a `switch-run-image` file the extension instead writes a run.Dockerfile that is
 * only `FROM <that image>` (the e2e run image with RUN_FLAVOR=two in its env, in a registry
 * on 127.0.0.1): the app image is built on it and its process sees RUN_FLAVOR.
 * Two builds (CI time): the Dockerfile parser's refusals are unit-tested beside it.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { openImageSource } from "../../builder-packager/src/oci/index.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { buildApp } from "../../builder-packager/src/platform/build.js";
import { extendImage } from "../../builder-packager/src/platform/extend-image.js";
import { BASE_LAYOUT, E2E_DIR, fixtureApp, getFromImage, referenceBuilder } from "./support.js";

const SERVER = `require("node:http").createServer((_q, r) => {
  r.end("HELLO_SAID=" + process.env.HELLO_SAID + " RUN_FLAVOR=" + process.env.RUN_FLAVOR + "\\n");
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

let work = "";
let app = "";
let switchApp = "";
let builder = "";
let registry: TestRegistry | undefined;
let runTwo = "";

async function script(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

beforeAll(async () => {
  await referenceBuilder();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-extensions-"));
  app = await fixtureApp("extensions", { "server.js": SERVER });
  const ext = join(work, "ext-hello");
  await mkdir(join(ext, "bin"), { recursive: true });
  await writeFile(
    join(ext, "extension.toml"),
    'api = "0.10"\n[extension]\nid = "acme/hello-ext"\nversion = "1.0.0"\nname = "Installs hello"\n',
  );
  await script(join(ext, "bin/detect"), "#!/bin/sh\nexit 0\n");
  await script(
    join(ext, "bin/generate"),
    // The working dir of generate is the app: a switch-run-image file there names the image.
    `#!/bin/sh\nset -e\nif [ -f switch-run-image ]; then\n  printf 'FROM %s\\n' "$(cat switch-run-image)" > "$CNB_OUTPUT_DIR/run.Dockerfile"\n  exit 0\nfi\ncat > "$CNB_OUTPUT_DIR/build.Dockerfile" <<'EOF'\n${BUILD_DOCKERFILE}EOF\n`,
  );
  const bp = join(work, "uses-hello");
  await mkdir(join(bp, "bin"), { recursive: true });
  await writeFile(
    join(bp, "buildpack.toml"),
    'api = "0.10"\n[buildpack]\nid = "acme/uses-hello"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\narch = "amd64"\n',
  );
  await script(join(bp, "bin/detect"), "#!/bin/sh\nexit 0\n");
  await script(
    join(bp, "bin/build"),
    `#!/bin/sh\nset -e\nsaid="$(hello 2>/dev/null || echo no hello)"\necho "acme/uses-hello: hello said: $said"\nmkdir -p "$CNB_LAYERS_DIR/said/env.launch"\nprintf '%s' "$said" > "$CNB_LAYERS_DIR/said/env.launch/HELLO_SAID.default"\nprintf '[types]\\nlaunch = true\\n' > "$CNB_LAYERS_DIR/said.toml"\n`,
  );
  registry = await startRegistry();
  runTwo = `${registry.host}/acme/run-two:latest`;
  await extendImage({ image: `oci:${BASE_LAYOUT}:run`, output: runTwo, env: ["RUN_FLAVOR=two"] });
  switchApp = await fixtureApp("extensions-switch", { "server.js": SERVER, "switch-run-image": runTwo });
  const local = join(E2E_DIR, "reference-local");
  const reference = parseToml(await readFile(join(local, "builder.toml"), "utf8"), "builder.toml");
  const config: TomlTable = {
    description: "image extensions e2e builder",
    buildpacks: [{ uri: join(local, "nodejs.cnb") }, { uri: bp }],
    order: [{ group: [{ id: "cnbkit/nodejs" }, { id: "acme/uses-hello" }] }],
    extensions: [{ id: "acme/hello-ext", uri: ext }],
    "order-extensions": [{ group: [{ id: "acme/hello-ext" }] }],
    build: { image: `oci:${BASE_LAYOUT}:build` },
    run: { images: [{ image: `oci:${BASE_LAYOUT}:run` }] },
    lifecycle: reference.lifecycle as TomlTable,
  };
  await writeFile(join(work, "builder.toml"), stringifyToml(config));
  builder = `oci:${join(work, "builder")}:latest`;
  const t0 = Date.now();
  await createBuilder({ config: join(work, "builder.toml"), output: builder });
  console.log(`extensions builder created in ${Date.now() - t0} ms`);
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
    expect(await getFromImage(output)).toBe("200 HELLO_SAID=Hello, world! RUN_FLAVOR=undefined\n");
  }, 900_000);

  test("a run.Dockerfile that is only FROM <image> switches the run image; the app image is built on it", async () => {
    const output = `oci:${join(work, "switched-image")}:latest`;
    const text = await build(switchApp, output);
    expect(text).toContain(`Run image switched by an extension to ${runTwo}`);
    expect(text).not.toMatch(/Extending the build image/);
    const { config } = await (await openImageSource(output)).image();
    const meta = JSON.parse(config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}");
    expect(meta.runImage.reference).toContain("acme/run-two");
    expect(await getFromImage(output)).toBe("200 HELLO_SAID=no hello RUN_FLAVOR=two\n");
  }, 900_000);
});
