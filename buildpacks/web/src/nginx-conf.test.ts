/**
 * The generated configuration and the launcher, run with the real nginx of the local
 * inventory (Debian 13's build, which runs on this Debian 12 machine too): what a browser
 * and a proxy see. The end-to-end test (test/e2e/web.test.ts) checks the same in an image.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { freePort } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TRIXIE } from "../../../tools/local-builder/debian-index.js";
import { extract } from "@cnbkit/framework/dependencies";
import { localNginxDebs } from "../../../tools/local-builder/local-nginx.js";
import { launcherScript, userConfFixes } from "./launch-script.js";
import { FINGERPRINTED, nginxConf } from "./nginx-conf.js";

let work: string;
let nginxHome: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-web-conf-"));
  // Run as root (CI), nginx's workers drop to www-data, which must read the site.
  await chmod(work, 0o755);
  // As install-nginx.ts lays it out: sbin/nginx from nginx, conf/mime.types from nginx-common.
  const [nginx, common] = (await localNginxDebs("amd64", TRIXIE)).debs;
  nginxHome = join(work, "nginx");
  await extract(nginx?.path as string, nginxHome, { strip: 1 });
  await extract(common?.path as string, join(work, "common"));
  await mkdir(join(nginxHome, "conf"));
  await rename(join(work, "common", "etc/nginx/mime.types"), join(nginxHome, "conf", "mime.types"));
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs a launcher for `template` until the port answers; returns the process and a `get`. */
async function serve(name: string, template: string, env: Record<string, string> = {}) {
  const dir = join(work, name);
  await mkdir(join(dir, "tmp"), { recursive: true });
  const launcher = join(dir, "start-nginx");
  await writeFile(launcher, launcherScript({ template, nginxHome }), { mode: 0o755 });
  const port = await freePort();
  const child = spawn(launcher, [], {
    env: { PATH: "/usr/bin:/bin", PORT: String(port), TMPDIR: join(dir, "tmp"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, { headers, redirect: "manual" });
  for (let i = 0; i < 100; i++) {
    if (
      await get("/cnbkit/health").then(
        () => true,
        () => false,
      )
    )
      break;
    if (child.exitCode !== null) throw new Error(`nginx exited: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, get, log: () => log };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  child.kill("SIGTERM");
  return exited;
}

describe("the generated configuration, served by nginx", () => {
  let site: string;
  beforeAll(async () => {
    site = join(work, "site");
    await mkdir(join(site, "assets"), { recursive: true });
    await writeFile(join(site, "index.html"), "<!doctype html><div id=app></div>");
    await writeFile(join(site, "404.html"), "not here");
    await writeFile(join(site, "about.html"), "about page");
    await writeFile(join(site, "assets", "app-3f2a9c1b.js"), "console.log(1)".repeat(100));
    await writeFile(join(site, "assets", "big.css"), "body{color:red}\n".repeat(200));
    await writeFile(join(site, "assets", "pre.js"), "x".repeat(1000));
    await writeFile(join(site, "assets", "pre.js.gz"), gzipSync("x".repeat(1000)));
  });

  test("an SPA: routes answer index.html, assets are cached for a year, a missing asset is 404", async () => {
    const { child, get } = await serve("spa", nginxConf({ root: site, pushState: true, forceHttps: false }));
    try {
      const route = await get("/settings/profile");
      expect(route.status).toBe(200);
      expect(await route.text()).toContain("id=app");
      expect(route.headers.get("cache-control")).toBe("no-cache");
      expect(route.headers.get("server")).toBe("nginx");
      const asset = await get("/assets/app-3f2a9c1b.js");
      expect(asset.status).toBe(200);
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(asset.headers.get("content-type")).toBe("application/javascript");
      expect((await get("/assets/app-00000000.js")).status).toBe(404);
      expect((await get("/favicon.ico")).status).toBe(404);
      const gz = await get("/assets/big.css", { "accept-encoding": "gzip" });
      expect(gz.headers.get("content-encoding")).toBe("gzip");
      expect(gz.headers.get("vary")).toBe("Accept-Encoding");
      // gzip_static: the build's own .gz is sent as it is (its length, not a fresh compression's).
      const pre = await get("/assets/pre.js", { "accept-encoding": "gzip" });
      expect(pre.headers.get("content-encoding")).toBe("gzip");
      expect(await get("/cnbkit/health").then((r) => r.text())).toBe("ok\n");
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 30_000);

  test("a plain site: unknown paths are the site's 404.html; https is forced behind a proxy", async () => {
    const { child, get } = await serve(
      "plain",
      nginxConf({ root: site, pushState: false, forceHttps: true, notFoundPage: "/404.html" }),
    );
    try {
      // A static export's pages (Next.js writes about.html for /about) answer without the extension.
      expect(await get("/about").then((r) => r.text())).toBe("about page");
      // Next.js 16 also writes about/ (the route's payloads) without an index.html: not a 403.
      await mkdir(join(site, "about"), { recursive: true });
      await writeFile(join(site, "about", "__next.about.txt"), "rsc");
      expect(await get("/about/").then(async (r) => [r.status, await r.text()])).toEqual([200, "about page"]);
      expect(await get("/about").then((r) => r.text())).toBe("about page");
      expect(await get("/nothing/").then((r) => r.status)).toBe(404);
      const missing = await get("/settings/profile");
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe("not here");
      const http = await get("/", { "x-forwarded-proto": "http" });
      expect(http.status).toBe(301);
      // fetch sends its own Host; the redirect keeps whichever the request had.
      expect(http.headers.get("location")).toBe("https://127.0.0.1/");
      expect((await get("/", { "x-forwarded-proto": "https" })).status).toBe(200);
    } finally {
      await stop(child);
    }
  }, 30_000);

  test("SIGTERM stops nginx gracefully: a request in flight completes", async () => {
    const big = join(site, "large.bin");
    await writeFile(big, Buffer.alloc(30 * 1024 * 1024, 1));
    const { child, get } = await serve("graceful", nginxConf({ root: site, pushState: false, forceHttps: false }));
    const res = await get("/large.bin");
    const stopped = stop(child);
    const body = await res.arrayBuffer();
    expect(body.byteLength).toBe(30 * 1024 * 1024);
    expect(await stopped).toBe(0);
    await rm(big);
  }, 30_000);
});

test("a site built for a base path: / redirects to it, its routes and assets answer under it", async () => {
  const based = join(work, "based");
  await mkdir(join(based, "site"), { recursive: true });
  await mkdir(join(work, "site-b", "assets"), { recursive: true });
  await writeFile(join(work, "site-b", "index.html"), "based app");
  await writeFile(join(work, "site-b", "assets", "app-3f2a9c1b.js"), "x");
  await symlink(join(work, "site-b"), join(based, "site", "repo"));
  const conf = nginxConf({ root: join(based, "site"), base: "/repo", pushState: true, forceHttps: false });
  const { child, get } = await serve("based", conf);
  try {
    const root = await get("/");
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/repo/");
    expect(await get("/repo/settings/profile").then((r) => r.text())).toBe("based app");
    const asset = await get("/repo/assets/app-3f2a9c1b.js");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await get("/assets/app-3f2a9c1b.js")).status).toBe(404);
  } finally {
    await stop(child);
  }
}, 30_000);

test("an app's own nginx.conf gets $PORT and {{env}} at launch, and writable paths", async () => {
  const own = [
    "events {}",
    "http {",
    "  server {",
    "    listen $PORT;",
    "    location = /cnbkit/health { return 200 'up'; }",
    '    location / { return 200 "{{env "GREETING"}} ${GREETING} $uri"; }',
    "  }",
    "}",
  ].join("\n");
  const { child, get } = await serve("own", userConfFixes(own), { GREETING: "hi" });
  try {
    expect(await get("/x").then((r) => r.text())).toBe("hi hi /x");
  } finally {
    await stop(child);
  }
}, 30_000);

test.each([
  ["/assets/index-B7rSxW1M.js", true],
  ["/static/js/main.8f3b2c1a.js", true],
  ["/static/js/2.979b18b4.chunk.js", true],
  ["/static/css/main.b360d300.chunk.css", true],
  ["/main-5NSOGNN3.css", true],
  ["/_next/static/chunks/app.js", true],
  ["/_astro/page.css", true],
  ["/js/my-component.js", false],
  ["/jquery-3.7.1.js", false],
  ["/bootstrap.min.css", false],
])("fingerprinted %s: %s", (path, hashed) => {
  // nginx's PCRE and JavaScript agree on this pattern (no flags but case-insensitivity).
  expect(new RegExp(FINGERPRINTED, "i").test(path)).toBe(hashed);
});
