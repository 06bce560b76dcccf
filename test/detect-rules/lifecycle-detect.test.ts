/**
 * The sh bin/detect compiled from the reference buildpacks' detect rules, run by the real
 * lifecycle detector (as the CNB user): a Python app with a Procfile groups python and
 * procfile, python's and nodejs's detects without starting Node (procfile's reads the Procfile
 * into the plan in Node), and a package.json app hands nodejs over to its Node detect through
 * the fallback. Assertions read the detector's group.toml and plan.toml.
 */
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBuildpackToml } from "@cnbkit/framework/cnb-files";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { describeDetectRules, detectScript, shQuote } from "../../builder-packager/src/compile/index.js";
import { bundleBuildpack } from "../../builder-packager/src/compile/bundle.js";
import {
  createWorkspace,
  detect,
  exists,
  readLifecycleToml,
  type Workspace,
  writeOrder,
} from "../support/lifecycle.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const NAMES = ["nodejs", "python", "procfile"] as const;

let ws: Workspace;
const ids: Record<string, { id: string; version: string }> = {};

/** Lays a reference buildpack out as the packager would, with the sh detect in bin/. */
async function install(name: string): Promise<void> {
  const src = join(repo, "buildpacks", name);
  const toml = await readFile(join(src, "buildpack.toml"), "utf8");
  const { id, version } = parseBuildpackToml(toml, "buildpack.toml").buildpack;
  ids[name] = { id, version };
  const dir = join(ws.buildpacks, id.replaceAll("/", "_"), version);
  await mkdir(join(dir, "bin"), { recursive: true });
  await mkdir(join(dir, "lib"), { recursive: true });
  await copyFile(join(src, "buildpack.toml"), join(dir, "buildpack.toml"));
  const { code } = await bundleBuildpack({ entry: join(src, "src", "index.ts"), nodeVersion: process.versions.node });
  const bundle = join(dir, "lib", "detect"); // the framework dispatches on the name "detect"
  await writeFile(bundle, code);
  const rules = await describeDetectRules(bundle, process.execPath);
  if (!rules) throw new Error(`${name}: no detect rules`);
  // The Node launcher leaves a mark, so the test can tell which detects started Node.
  const launcher = join(dir, "lib", "node-detect");
  const mark = join(ws.root, `node-ran-${name}`);
  await writeFile(
    launcher,
    `#!/bin/sh\n: >${shQuote(mark)}\nexec ${shQuote(process.execPath)} ${shQuote(bundle)} "$@"\n`,
  );
  await chmod(launcher, 0o755);
  await writeFile(join(dir, "bin", "detect"), detectScript(rules, { fallback: `"\${0%/*}/../lib/node-detect"` }));
  await chmod(join(dir, "bin", "detect"), 0o755);
}

beforeAll(async () => {
  ws = await createWorkspace();
  for (const name of NAMES) await install(name);
  await writeOrder(ws, [NAMES.map((n) => ({ ...ids[n]!, optional: true }))]);
}, 300_000);

afterAll(async () => {
  await ws?.cleanup();
});

beforeEach(async () => {
  await rm(ws.app, { recursive: true, force: true });
  await mkdir(ws.app);
  for (const name of NAMES) await rm(join(ws.root, `node-ran-${name}`), { force: true });
  for (const f of ["group.toml", "plan.toml"]) await rm(join(ws.layers, f), { force: true });
});

const groupIds = async () =>
  (((await readLifecycleToml(join(ws.layers, "group.toml")))?.group ?? []) as { id: string }[]).map((b) => b.id);

test("a Python app with a Procfile: python passes in sh, nodejs fails in sh, procfile's Node detect puts the processes in the plan", async () => {
  await writeFile(join(ws.app, "requirements.txt"), "flask\n");
  await writeFile(join(ws.app, "Procfile"), "web: gunicorn app:app\n");
  const r = await detect(ws);
  expect(r.code, r.output).toBe(0);
  expect(await groupIds()).toEqual([ids.python!.id, ids.procfile!.id]);
  const plan = await readLifecycleToml(join(ws.layers, "plan.toml"));
  // The lifecycle writes plan entries in Go map order (random from one run to the next), so
  // they are compared as a set: sorted by their first provider's id.
  const byProvider = (a: { providers: { id: string }[] }, b: { providers: { id: string }[] }) =>
    String(a.providers[0]?.id).localeCompare(String(b.providers[0]?.id));
  const entries = ((plan?.entries ?? []) as { providers: { id: string }[] }[]).toSorted(byProvider);
  expect(entries).toEqual(
    [
      {
        providers: [{ id: ids.python!.id, version: ids.python!.version }],
        requires: [{ name: "cpython", metadata: { launch: true } }],
      },
      {
        providers: [{ id: ids.procfile!.id, version: ids.procfile!.version }],
        requires: [{ name: "procfile", metadata: { processes: [{ type: "web", command: "gunicorn app:app" }] } }],
      },
    ].toSorted(byProvider),
  );
  for (const name of NAMES) {
    expect(await exists(join(ws.root, `node-ran-${name}`)), name).toBe(name === "procfile");
  }
});

test("a package.json app: nodejs's sh detect hands over to its Node detect", async () => {
  await writeFile(join(ws.app, "package.json"), '{ "name": "web" }\n');
  const r = await detect(ws);
  expect(r.code, r.output).toBe(0);
  expect(await groupIds()).toEqual([ids.nodejs!.id]);
  const plan = await readLifecycleToml(join(ws.layers, "plan.toml"));
  expect(((plan?.entries ?? []) as { requires: { name: string }[] }[]).map((e) => e.requires[0]!.name).sort()).toEqual([
    "node",
    "node_modules",
  ]);
  expect(await exists(join(ws.root, "node-ran-nodejs"))).toBe(true);
  expect(await exists(join(ws.root, "node-ran-python"))).toBe(false);
});
