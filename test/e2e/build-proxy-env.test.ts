/**
 * `cnbkit build` hands this machine's proxy settings to the build, as pack does: an inline
 * buildpack of the project's group, run by the real lifecycle in the build container, sees
 * HTTP_PROXY, HTTPS_PROXY and NO_PROXY under both their names (the lifecycle passes only
 * an allow-list of variables to buildpacks, which has these six).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import { referenceBuilder } from "./support.js";

const PROJECT_TOML = `[_]
schema-version = "0.2"

[[io.buildpacks.group]]
id = "acme/proxy-probe"
  [io.buildpacks.group.script]
  api = "0.10"
  inline = """
echo "probe HTTP_PROXY=$HTTP_PROXY"
echo "probe http_proxy=$http_proxy"
echo "probe HTTPS_PROXY=$HTTPS_PROXY"
echo "probe https_proxy=$https_proxy"
echo "probe NO_PROXY=$NO_PROXY"
echo "probe no_proxy=$no_proxy"
"""
`;

const SET = {
  HTTP_PROXY: "http://proxy.acme.example:3128",
  https_proxy: "http://tls-proxy.acme.example:3129",
  NO_PROXY: "localhost,.acme.example",
};
const NAMES = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"];

let builder = "";
let work = "";
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  builder = await referenceBuilder();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-proxy-env-"));
});
afterAll(async () => {
  for (const k of NAMES) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  if (work) await rm(work, { recursive: true, force: true });
});

test("the build container gets the host's proxy variables in both cases", async () => {
  const app = join(work, "app");
  await mkdir(app, { recursive: true });
  await writeFile(join(app, "project.toml"), PROJECT_TOML);
  for (const k of NAMES) {
    saved[k] = process.env[k];
    delete process.env[k];
  }
  Object.assign(process.env, SET);
  const lines: string[] = [];
  try {
    await buildApp({
      appDir: app,
      builder,
      output: `oci:${join(work, "image")}:latest`,
      cacheDir: join(work, "cache"),
      onOutput: (l) => lines.push(l),
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${lines.slice(-40).join("\n")}`);
  } finally {
    for (const k of NAMES) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
  const probe = lines.map((l) => /probe (\w+=.*)$/.exec(l)?.[1]).filter(Boolean);
  expect(probe).toEqual([
    `HTTP_PROXY=${SET.HTTP_PROXY}`,
    `http_proxy=${SET.HTTP_PROXY}`,
    `HTTPS_PROXY=${SET.https_proxy}`,
    `https_proxy=${SET.https_proxy}`,
    `NO_PROXY=${SET.NO_PROXY}`,
    `no_proxy=${SET.NO_PROXY}`,
  ]);
}, 1_800_000);
