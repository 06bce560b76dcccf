/**
 * The Python buildpack's private index with credentials, end to end (issue 74; in the long
 * suite: a cold Python build took 95 s, and CI's unit tests of index-binding.ts hold the
 * logic): a PEP 503 index on 127.0.0.1 that answers only with basic auth and holds one wheel that no public
 * index has (made here), given to the build as `--secret id=pypi,src=FILE,type=pip` (an
 * index-url with user:password). The build runs on the default isolated network, which
 * forwards the index's loopback port because the secret names it; the app imports the
 * package and answers HTTP with its text; the password (and its basic-auth form) is in no
 * layer of the image nor of the build cache, and the layer guard passed the build.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import { fixtureApp, freePort, getFromImage, useReferenceBuilder } from "../e2e/support.js";

const USER = "ci";
const PASSWORD = "privIndexPassw0rd-7c1e";
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
const PACKAGE = "cnbkit-private-greeting";
const MODULE = "cnbkit_private_greeting";
const WHEEL = `${MODULE}-1.0.0-py3-none-any.whl`;
const GREETING = "hello from the private index";

const APP_PY = `import os
from http.server import BaseHTTPRequestHandler, HTTPServer

import ${MODULE}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ${MODULE}.GREETING.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer((os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
`;

let app = "";
let server: Server | undefined;
let port = 0;
/** What the index answered: status per path, to show the build used it with the credentials. */
const served: string[] = [];

/** A pure-Python wheel of one module, zipped by the host's python3 (its RECORD hashed as pip expects). */
function makeWheel(): Buffer {
  const distInfo = `${MODULE}-1.0.0.dist-info`;
  const files: Record<string, string> = {
    [`${MODULE}/__init__.py`]: `GREETING = "${GREETING}"\n`,
    [`${distInfo}/METADATA`]: `Metadata-Version: 2.1\nName: ${PACKAGE}\nVersion: 1.0.0\n`,
    [`${distInfo}/WHEEL`]: "Wheel-Version: 1.0\nGenerator: cnbkit-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
  };
  const record = Object.entries(files).map(([name, text]) => {
    const hash = createHash("sha256").update(text).digest("base64url");
    return `${name},sha256=${hash},${Buffer.byteLength(text)}`;
  });
  files[`${distInfo}/RECORD`] = `${[...record, `${distInfo}/RECORD,,`].join("\n")}\n`;
  const script =
    "import io,json,sys,zipfile\nb=io.BytesIO()\nz=zipfile.ZipFile(b,'w')\n" +
    "[z.writestr(n,t) for n,t in json.load(sys.stdin).items()]\nz.close()\nsys.stdout.buffer.write(b.getvalue())";
  return execFileSync("python3", ["-c", script], { input: JSON.stringify(files) });
}

/** The index: /simple/ and the package's page (PEP 503) and the wheel, each only with the credentials. */
async function startIndex(wheel: Buffer): Promise<void> {
  const sha = createHash("sha256").update(wheel).digest("hex");
  const pages: Record<string, [string, Buffer | string]> = {
    "/simple/": ["text/html", `<html><body><a href="/simple/${PACKAGE}/">${PACKAGE}</a></body></html>`],
    [`/simple/${PACKAGE}/`]: [
      "text/html",
      `<html><body><a href="/files/${WHEEL}#sha256=${sha}">${WHEEL}</a></body></html>`,
    ],
    [`/files/${WHEEL}`]: ["application/octet-stream", wheel],
  };
  server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.headers.authorization !== `Basic ${BASIC}`) {
      served.push(`401 ${path}`);
      res.writeHead(401, { "www-authenticate": 'Basic realm="private"' }).end();
      return;
    }
    const page = pages[path];
    served.push(`${page ? 200 : 404} ${path}`);
    if (!page) res.writeHead(404).end();
    else res.writeHead(200, { "content-type": page[0] }).end(page[1]);
  });
  port = await freePort();
  await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
}

const ref = useReferenceBuilder();
beforeAll(async () => {
  await startIndex(makeWheel());
  app = await fixtureApp("python-private-index", {
    "app.py": APP_PY,
    "requirements.txt": `${PACKAGE}==1.0.0\n`,
    Procfile: "web: python app.py\n",
    ".python-version": "3.11\n",
  });
}, 900_000);
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (app) await rm(app, { recursive: true, force: true });
});

/** Every layer blob of the image at `layout` (tag latest), uncompressed. */
async function imageLayers(layout: string): Promise<Buffer[]> {
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as {
    manifests: { digest: string }[];
  };
  const blob = (d: string) => readFile(join(layout, "blobs", "sha256", d.slice("sha256:".length)));
  const manifest = JSON.parse((await blob(index.manifests[0]!.digest)).toString()) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const layers = await Promise.all(manifest.layers.map(async (l) => gunzipSync(await blob(l.digest))));
  return [...layers, await blob(manifest.config.digest)];
}

describe("Python: a private index with credentials from --secret", () => {
  test("the build installs the index's package through the isolated network; the app answers with it; the password is in no layer", {
    timeout: 900_000,
  }, async () => {
    const work = await fixtureApp("python-private-index-out");
    try {
      const secret = join(work, "index-url");
      await writeFile(secret, `http://${USER}:${PASSWORD}@127.0.0.1:${port}/simple/\n`);
      const lines: string[] = [];
      const t0 = Date.now();
      const image = `oci:${join(work, "image")}:latest`;
      await buildApp({
        appDir: app,
        builder: ref.builder,
        output: image,
        cacheDir: join(work, "cache"),
        bindings: ref.bindings,
        secrets: [{ id: "pypi", src: secret, type: "pip" }],
        onOutput: (l) => lines.push(l),
      }).catch((e: Error) => {
        throw new Error(`${e.message}\n${lines.slice(-60).join("\n")}`);
      });
      const text = lines.join("\n");
      console.log(`private index build: ${Date.now() - t0} ms; index served: ${served.join(", ")}`);
      expect(text).toMatch(/Package index: from binding "pypi" \(build only, never in a layer\)/);
      expect(text).toMatch(/Checked \d+ new layers? \(\d+ MB\) for \d+ secret values? and setuid files in/);
      expect(served).toContain(`200 /files/${WHEEL}`);
      expect(await getFromImage(image)).toBe(`200 ${GREETING}`);
      // The guard passed; a look of our own at every layer and the cache's tars says the same.
      const cache = join(work, "cache", "committed");
      const cached = await Promise.all((await readdir(cache)).map((f) => readFile(join(cache, f))));
      const hits = [...(await imageLayers(join(work, "image"))), ...cached].filter(
        (b) => b.includes(PASSWORD) || b.includes(BASIC),
      );
      expect(hits).toEqual([]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
