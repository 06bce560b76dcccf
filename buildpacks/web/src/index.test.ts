/**
 * cnbkit/web through the framework's in-process harness, with the local inventory's real
 * nginx (a file:// dependency, as the offline builder carries it): detect's plans, the root
 * and push-state lines, the process, and a broken nginx.conf failing at build in one line.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { runBuild, runDetect } from "@cnbkit/framework/testing";
import { beforeAll, describe, expect, test } from "vitest";
import { TRIXIE } from "../../../tools/local-builder/debian-index.js";
import { localNginxDebs, localWebBuildpackToml } from "../../../tools/local-builder/local-nginx.js";
import bp from "./index.js";

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));
let buildpackToml: string;

beforeAll(async () => {
  const nginx = await localNginxDebs("amd64", TRIXIE);
  const real = await readFile(new URL("../buildpack.toml", import.meta.url), "utf8");
  buildpackToml = localWebBuildpackToml(real, [nginx], "amd64", "src/index.ts");
}, 120_000);

const vite = JSON.stringify({
  scripts: { build: "vite build" },
  dependencies: { react: "19", "react-router-dom": "7" },
  devDependencies: { vite: "7" },
});

describe("detect", () => {
  test("a plain HTML folder passes with an empty plan; a Vite app requires node_build; a Python app fails", async () => {
    const plain = await runDetect(bp, { buildpackDir, app: { "index.html": "<h1>hi</h1>" } });
    expect(plain.plans).toEqual([{ provides: [], requires: [] }]);
    const spa = await runDetect(bp, { buildpackDir, app: { "package.json": vite, "index.html": "" } });
    expect(spa.plans).toEqual([{ provides: [], requires: [{ name: "node_build" }] }]);
    const py = await runDetect(bp, { buildpackDir, app: { "index.html": "", "requirements.txt": "flask\n" } });
    expect(py.result).toEqual({
      kind: "fail",
      reason: "requirements.txt makes it another kind of app (set BP_WEB_SERVER=nginx to serve it)",
    });
    const none = await runDetect(bp, { buildpackDir, app: { "main.go": "" } });
    expect(none.passed).toBe(false);
  });
});

describe("build", () => {
  test("a plain site: nginx for launch, the root said in one line, one web process", async () => {
    const r = await runBuild(bp, { buildpackToml, app: { "index.html": "<h1>hi</h1>" } });
    const out = r.stdout.join("\n");
    expect(out).toContain("Serving the app root (index.html is at the app root)");
    expect(out).toContain("Push state off: unknown paths are 404");
    expect(out).toContain("nginx -t: configuration ok");
    expect(r.layer("nginx").files).toEqual(
      expect.arrayContaining(["sbin/nginx", "conf/mime.types", "share/doc/nginx/copyright"]),
    );
    expect(r.layer("nginx").toml?.types.launch).toBe(true);
    const launcher = `${r.layer("web_config").path}/bin/start-nginx`;
    expect(r.processes).toEqual([{ type: "web", command: [launcher], default: true }]);
    expect(await readFile(launcher, "utf8")).toContain(`root ${r.app};`);
  }, 60_000);

  test("a built Vite SPA with a router: dist/, push state on", async () => {
    const r = await runBuild(bp, {
      buildpackToml,
      app: { "package.json": vite, "index.html": "src", "dist/index.html": "built" },
      // As the lifecycle gives it: node_build is nodejs's to provide, so web's own plan is empty.
      plan: [],
    });
    const out = r.stdout.join("\n");
    expect(out).toContain("Serving dist/ (Vite builds into dist/)");
    expect(out).not.toContain("Serving the app root");
    expect(out).toContain("Push state on: unknown paths answer index.html (the app uses react-router-dom");
    expect(await readFile(`${r.layer("web_config").path}/nginx.conf.template`, "utf8")).toContain(
      "try_files $uri $uri.html $uri/ /index.html;",
    );
  }, 60_000);

  test("a broken nginx.conf fails the build with nginx's own line, naming the file and line", async () => {
    const conf = "events {}\nhttp {\n  bogus_directive on;\n  server { listen $PORT; }\n}\n";
    await expect(runBuild(bp, { buildpackToml, app: { "nginx.conf": conf } })).rejects.toThrow(
      /^nginx\.conf:\d+: nginx -t: \[emerg\] unknown directive "bogus_directive"$/,
    );
  }, 60_000);

  test("BP_WEB_SERVER_ROOT that does not exist is one line", async () => {
    await expect(
      runBuild(bp, { buildpackToml, app: { "index.html": "" }, env: { BP_WEB_SERVER_ROOT: "site" } }),
    ).rejects.toThrow(/^BP_WEB_SERVER_ROOT=site: no such directory in the app$/);
  }, 60_000);
});
