/**
 * The REAL inventory (buildpacks/web/buildpack.toml as shipped, not the local builder's
 * file:// copy): what an online builder does. The harness build downloads Debian's nginx and
 * nginx-common .debs from deb.debian.org (through the machine's proxy, as any build does),
 * verifies their sha256, installs them, and the launcher it wrote serves a page. A wrong
 * sha256 fails the build before anything lands; the arm64 entry is a real arm64 .deb whose
 * sha256 matches. About 1.3 MB of downloads.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { download, extract, parseInventory } from "@cnbkit/framework/dependencies";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { freePort, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";

let realToml: string;
let work: string;

beforeAll(async () => {
  realToml = await readFile(new URL("../buildpack.toml", import.meta.url), "utf8");
  work = await mkdtemp(join(tmpdir(), "cnbkit-web-online-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs `launcher` on a free port until its health path answers; returns a `get` and a `stop`. */
async function launch(launcher: string) {
  const port = await freePort();
  const tmp = join(work, "run");
  await mkdir(tmp, { recursive: true });
  const child: ChildProcess = spawn(launcher, [], {
    env: { PATH: "/usr/bin:/bin", PORT: String(port), TMPDIR: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
  // Ready when nginx answers: polled, and given up only when the launcher exits.
  while (
    !(await get("/cnbkit/health").then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null) throw new Error(`launcher exited ${child.exitCode}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    get,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

test("the real inventory: nginx downloads from deb.debian.org, verifies, installs and serves a page", async () => {
  const r = await runBuild(bp, {
    buildpackToml: realToml,
    app: { "index.html": "<!doctype html><h1>From Debian's nginx</h1>", "css/site.css": "h1{color:teal}" },
  });
  const out = r.stdout.join("\n");
  expect(out).toMatch(/Downloading nginx [\d.]+ from https:\/\/deb\.debian\.org\/\S+\/nginx_[^/]+_amd64\.deb/);
  expect(out).toMatch(/Downloading nginx-common [\d.]+ from https:\/\/deb\.debian\.org\/\S+_all\.deb/);
  expect(out).toContain("nginx -t: configuration ok");
  const files = r.layer("nginx").files;
  expect(files).toEqual(expect.arrayContaining(["sbin/nginx", "conf/mime.types", "share/doc/nginx/copyright"]));
  // Nothing of nginx-common but mime.types, and no control files or manual pages.
  expect(files.filter((f) => /^(etc|usr|control|postinst|share\/man)\b|nginx-common/.test(f))).toEqual([]);
  // Run as root (CI), nginx's workers drop to www-data, which must reach the site.
  for (let d = r.app; d.startsWith(tmpdir()) && d !== tmpdir(); d = dirname(d)) await chmod(d, 0o755);
  const app = await launch(`${r.layer("web_config").path}/bin/start-nginx`);
  try {
    const page = await app.get("/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("From Debian's nginx");
    expect((await app.get("/css/site.css")).headers.get("content-type")).toBe("text/css");
    expect((await app.get("/missing.js")).status).toBe(404);
  } finally {
    expect(await app.stop()).toBe(0);
  }
}, 180_000);

test("a wrong sha256 in the real inventory fails the build, naming the download", async () => {
  const tampered = realToml.replace(/(id = "nginx-common"[\s\S]*?sha256 = ")[0-9a-f]{64}/, `$1${"0".repeat(64)}`);
  expect(tampered).not.toBe(realToml);
  await expect(runBuild(bp, { buildpackToml: tampered, app: { "index.html": "x" } })).rejects.toThrow(
    /nginx-common.*sha256|sha256.*nginx-common/,
  );
}, 180_000);

test("the arm64 entry is a real arm64 .deb: its sha256 verifies and its nginx is an AArch64 binary", async () => {
  const inventory = parseInventory(parseToml(realToml, "buildpack.toml").metadata);
  const arm = inventory.find((d) => d.id === "nginx" && d.arch === "arm64");
  const amd = inventory.find((d) => d.id === "nginx" && d.arch === "amd64");
  expect(arm?.uri).toMatch(/^https:\/\/deb\.debian\.org\/.*\/nginx_[^/]+_arm64\.deb$/);
  expect(arm?.version).toBe(amd?.version);
  const file = await download(arm as NonNullable<typeof arm>, join(work, "arm64"), { env: process.env });
  const dest = join(work, "arm64-nginx");
  await extract(file, dest, { strip: 1 });
  const header = spawnSync("readelf", ["-h", join(dest, "sbin/nginx")], { encoding: "utf8" }).stdout;
  expect(header).toMatch(/Machine:\s+AArch64/);
}, 180_000);
