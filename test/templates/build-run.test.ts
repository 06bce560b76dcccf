/**
 * The `buildpack` template inside a real builder: scaffolded into a temp dir (no npm install:
 * the packager resolves @cnbkit/framework from this workspace), put in a builder after the
 * reference Node.js buildpack (local inventory, see tools/local-builder/local-node.ts), a tiny
 * Node HTTP app built with the lifecycle and run under runc. The app answers with what the
 * template's launch layer gives every process (HELLO_FILE, `hello` on PATH), proving the
 * template buildpack took part without taking the `web` process from Node.js; its own
 * `hello` process runs too.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { stringifyToml } from "@cnbkit/framework/cnb-files";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { type Binding, buildApp } from "../../builder-packager/src/platform/index.js";
import { runApp } from "../../builder-packager/src/platform/run.js";
import { scaffold } from "../../builder-packager/src/scaffold/index.js";
import { prepareLocalReferenceBuilder } from "../../tools/local-builder/local-node.js";
import { BASE_LAYOUT, caBindings, E2E_DIR, fixtureApp, getFromImage, ROOT } from "../e2e/support.js";

const TEMPLATE_ID = "acme/hello";
const GREETING = "Hello from the template buildpack";

/** The app: a lone server.js (the Node.js buildpack runs `node server.js`) and a hello.txt. */
const APP_FILES = {
  "hello.txt": `${GREETING}\n`,
  "server.js": [
    'const { execFileSync } = require("node:child_process");',
    'const http = require("node:http");',
    "http",
    "  .createServer((_req, res) => {",
    '    const hello = execFileSync("hello", { encoding: "utf8" }).trim();',
    '    res.end("HELLO_FILE=" + process.env.HELLO_FILE + " hello=" + hello + " node=" + process.version + "\\n");',
    "  })",
    '  .listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");',
    "",
  ].join("\n"),
};

let work = "";
let app = "";
let builder = "";
let image = "";
let bindings: Binding[] = [];
const buildLines: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-template-build-"));
  const t0 = Date.now();
  // The base images and offline nodejs.cnb the e2e reference builder uses, under its lock.
  const local = await withDirLock(join(E2E_DIR, "builder.lock"), async () => {
    await ensureBaseImages({ output: BASE_LAYOUT });
    return prepareLocalReferenceBuilder({ outDir: join(E2E_DIR, "reference-local"), baseLayout: BASE_LAYOUT });
  });
  const templateDir = join(work, "hello-buildpack");
  await scaffold({ template: "buildpack", dir: templateDir, id: TEMPLATE_ID });

  const builderToml = join(work, "builder.toml");
  await writeFile(
    builderToml,
    stringifyToml({
      description: "reference Node.js buildpack plus the buildpack template",
      buildpacks: [
        { uri: join(ROOT, "buildpacks/ca-certificates") },
        { uri: local.nodejsPackage },
        { uri: templateDir },
      ],
      order: [
        {
          group: [{ id: "cnbkit/ca-certificates", optional: true }, { id: "cnbkit/nodejs" }, { id: TEMPLATE_ID }],
        },
      ],
      build: { image: `oci:${BASE_LAYOUT}:build` },
      run: { images: [{ image: `oci:${BASE_LAYOUT}:run` }] },
      lifecycle: { version: "0.21.17" },
      targets: [{ os: "linux", arch: "amd64" }],
    }),
  );
  builder = `oci:${join(work, "builder")}:latest`;
  const created = await createBuilder({ config: builderToml, output: builder });
  expect(created.buildpacks.map((b) => b.id)).toContain(TEMPLATE_ID);
  const t1 = Date.now();

  app = await fixtureApp("template-hello", APP_FILES);
  bindings = await caBindings();
  image = `oci:${join(work, "app")}:latest`;
  await buildApp({
    appDir: app,
    builder,
    output: image,
    cacheDir: join(work, "cache"),
    bindings,
    onOutput: (l) => buildLines.push(l),
  });
  console.log(`template build-run: builder ${t1 - t0} ms, app build ${Date.now() - t1} ms`);
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

describe.sequential("the buildpack template in a builder with the Node.js buildpack", () => {
  test("both buildpacks take part and Node.js keeps the default web process", () => {
    const text = buildLines.join("\n");
    expect(text).toContain("Adding layer 'cnbkit/nodejs:node'");
    expect(text).toContain(`Adding layer '${TEMPLATE_ID}:hello'`);
    expect(text).toMatch(/Process types\n\s+hello: hello/);
    expect(text).toContain("Setting default process type 'web'");
  });

  test("the app's web process answers HTTP with the template's launch env and command", async () => {
    const t0 = Date.now();
    const body = await getFromImage(image);
    console.log(`template build-run: run + GET ${Date.now() - t0} ms`);
    expect(body).toBe(`200 HELLO_FILE=/workspace/hello.txt hello=${GREETING} node=v24.21.0\n`);
  });

  test("the template's own process type `hello` runs and prints hello.txt", async () => {
    const lines: string[] = [];
    const proc = await runApp({ image, process: "hello", onOutput: (l) => lines.push(l) });
    try {
      expect(await proc.exited).toBe(0);
      expect(lines).toContain(GREETING);
    } finally {
      await proc.stop();
    }
  });
});
