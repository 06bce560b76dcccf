/**
 * Static sites and single-page apps through the reference builder (its local variant:
 * cnbkit/web carries Debian 13's nginx .debs by file://, tools/local-builder/local-nginx.ts),
 * built with the real lifecycle and served from the image under runc:
 * - a plain HTML folder with no configuration (the static-site group): pages, a 404;
 * - a Vite-like SPA built by npm (the Node.js + web group): its build script writes
 *   dist/index.html and a fingerprinted asset; a client-side route answers index.html, a
 *   missing asset is a 404, the cache headers are right, and the image has no Node.js;
 * - the app's own nginx.conf, with $PORT and an env var filled in at launch;
 * - a broken nginx.conf, failing the build with nginx's own line, in one line.
 * Small by design (CI's budget): four builds, no npm dependency from the registry.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
import { runApp } from "../../builder-packager/src/platform/run.js";
import { freePort, getFromImage, referenceApps } from "./support.js";

const TIMEOUT = 600_000;
const { appCase, build } = referenceApps();

/** Runs the image once and fetches each path: status, headers and body. */
async function fetchAll(image: string, paths: string[], env: Record<string, string> = {}) {
  const port = await freePort();
  const out: string[] = [];
  const app = await runApp({ image, port, env: { HOST: "127.0.0.1", ...env }, onOutput: (l) => out.push(l) });
  try {
    await app.ready(60_000).catch((e: Error) => {
      throw new Error(`${e.message}\napp output:\n${out.join("\n")}`);
    });
    const res: { status: number; cache: string | null; type: string | null; body: string }[] = [];
    for (const p of paths) {
      const r = await fetch(`http://127.0.0.1:${port}${p}`);
      res.push({
        status: r.status,
        cache: r.headers.get("cache-control"),
        type: r.headers.get("content-type"),
        body: await r.text(),
      });
    }
    return res;
  } finally {
    await app.stop();
  }
}

/** Total size of an OCI layout's blobs: what the image costs on disk, compressed. */
async function layoutBytes(dir: string): Promise<number> {
  const blobs = join(dir, "blobs", "sha256");
  let total = 0;
  for (const f of await readdir(blobs)) total += (await stat(join(blobs, f))).size;
  return total;
}

test(
  "a plain HTML folder is served with no configuration: pages, a 404, and the log says why",
  async () => {
    const c = await appCase("web-plain", {
      "index.html": "<!doctype html><h1>Portfolio</h1>",
      "about/index.html": "<h1>About</h1>",
      "css/site.css": "h1{color:teal}",
    });
    const { text, ms } = await build(c);
    expect(text).toContain("Serving the app root (index.html is at the app root)");
    expect(text).not.toContain("cnbkit/nodejs");
    const [root, about, css, missing] = await fetchAll(c.image, ["/", "/about/", "/css/site.css", "/nope"]);
    expect(root?.body).toContain("Portfolio");
    expect(about?.body).toContain("About");
    expect(css?.type).toBe("text/css");
    expect(missing?.status).toBe(404);
    console.log(`web e2e: plain site built in ${(ms / 1000).toFixed(1)} s`);
  },
  TIMEOUT,
);

/** A Vite-like SPA: `npm run build` (plain Node, no registry download) writes dist/. */
const SPA_FILES: Record<string, string> = {
  "package.json": JSON.stringify({
    name: "spa",
    private: true,
    version: "1.0.0",
    scripts: { dev: "node build.mjs --watch", build: "node build.mjs" },
    // A local stand-in: the router's name is what turns push state on; npm links it, offline.
    dependencies: { "react-router-dom": "file:./vendor/react-router-dom" },
  }),
  "vendor/react-router-dom/package.json": JSON.stringify({ name: "react-router-dom", version: "7.0.0" }),
  "index.html": '<!doctype html><div id="root"></div><script type="module" src="/src/main.js"></script>',
  "src/main.js": "document.getElementById('root').textContent = location.pathname;\n",
  "build.mjs": [
    'import { mkdirSync, readFileSync, writeFileSync } from "node:fs";',
    'import { createHash } from "node:crypto";',
    'const js = readFileSync("src/main.js", "utf8");',
    'const hash = createHash("sha256").update(js).digest("hex").slice(0, 8).replace(/^[a-f]/, "1");',
    'mkdirSync("dist/assets", { recursive: true });',
    "writeFileSync(`dist/assets/app-${hash}.js`, js);",
    'writeFileSync(\'dist/index.html\', `<!doctype html><div id="root">spa</div><script type="module" src="/assets/app-${hash}.js"></script>`);',
    'writeFileSync("dist/hash.txt", hash);',
    "",
  ].join("\n"),
};

test(
  "a Vite-like SPA built by npm: routes answer index.html, a missing asset is 404, cache headers, no Node.js in the image",
  async () => {
    const c = await appCase("web-spa", SPA_FILES);
    const cold = await build(c);
    expect(cold.text).toContain("None: a later buildpack (cnbkit/web) serves what the build wrote");
    expect(cold.text).toContain("Serving dist/ (the build wrote dist/index.html)");
    expect(cold.text).toContain("Push state on");
    const warm = await build(c);
    const unpacked = await unpackImage(c.image);
    let hash: string;
    try {
      const { rootfs } = unpacked;
      hash = await readFile(join(rootfs, "workspace/dist/hash.txt"), "utf8");
      // Node.js and node_modules were build layers: nothing of them is in the image.
      expect(existsSync(join(rootfs, "layers/cnbkit_nodejs/node"))).toBe(false);
      expect(existsSync(join(rootfs, "layers/cnbkit_nodejs/launch_modules"))).toBe(false);
      expect(existsSync(join(rootfs, "layers/cnbkit_web/nginx/sbin/nginx"))).toBe(true);
    } finally {
      await unpacked.release();
    }
    const [route, asset, missing, root, health] = await fetchAll(c.image, [
      "/settings/profile",
      `/assets/app-${hash}.js`,
      "/assets/app-00000000.js",
      "/",
      "/cnbkit/health",
    ]);
    expect(route).toMatchObject({ status: 200, cache: "no-cache" });
    expect(route?.body).toContain('<div id="root">spa</div>');
    expect(asset).toMatchObject({ status: 200, cache: "public, max-age=31536000, immutable" });
    expect(missing?.status).toBe(404);
    expect(root).toMatchObject({ status: 200, cache: "no-cache" });
    expect(health?.body).toBe("ok\n");
    const size = await layoutBytes(join(c.work, "image"));
    console.log(
      `web e2e: SPA cold build ${(cold.ms / 1000).toFixed(1)} s, warm ${(warm.ms / 1000).toFixed(1)} s, image layout ${(size / 1e6).toFixed(1)} MB`,
    );
  },
  TIMEOUT,
);

test(
  "the app's own nginx.conf is used, with $PORT and an env var filled in at launch",
  async () => {
    const conf = [
      "events {}",
      "http {",
      "  server {",
      "    listen $PORT;",
      "    root /workspace/site;",
      '    location = / { default_type text/plain; return 200 "hello ${GREETING}"; }',
      "  }",
      "}",
      "",
    ].join("\n");
    const c = await appCase("web-own-conf", { "nginx.conf": conf, "site/index.html": "<p>site</p>" });
    const { text } = await build(c);
    expect(text).toContain("The app's nginx.conf");
    expect(await getFromImage(c.image, { GREETING: "from env" })).toBe("200 hello from env");
  },
  TIMEOUT,
);

test(
  "a broken nginx.conf fails the build with nginx's own line, in one line",
  async () => {
    const conf = "events {}\nhttp {\n  bogus_directive on;\n  server { listen $PORT; }\n}\n";
    const c = await appCase("web-broken-conf", { "nginx.conf": conf, "index.html": "<p>x</p>" });
    const err = (await build(c).then(
      () => undefined,
      (e: Error & { lines?: string[] }) => e,
    )) as (Error & { lines?: string[] }) | undefined;
    expect(err).toBeDefined();
    const lines = [...(err?.lines ?? []), ...(err?.message.split("\n") ?? [])];
    const line = lines.find((l) => l.includes("nginx -t"));
    expect(line).toMatch(/nginx\.conf:3: nginx -t: \[emerg\] unknown directive "bogus_directive"$/);
    expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
  },
  TIMEOUT,
);
