/**
 * Detection of framework buildpacks by the real lifecycle's detector: pass, fail and error
 * exit codes, plans with `[[or]]` alternatives, optional buildpacks in an order of several
 * groups, and how a buildpack's errors look in the detector's output. Assertions read the
 * detector's exit code (platform spec: 20 no group passed, 21 and a buildpack errored),
 * group.toml and plan.toml.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { writeFrameworkBuildpack } from "../support/buildpack.js";
import {
  createWorkspace,
  detect,
  exists,
  readLifecycleToml,
  type Workspace,
  writeOrder,
} from "../support/lifecycle.js";

const IDS = ["t/provider", "t/or", "t/unresolved", "t/fail", "t/error"] as const;
type Id = (typeof IDS)[number] | "t/broken" | "t/composite";
const V = "1.0.0";

let ws: Workspace;

beforeAll(async () => {
  ws = await createWorkspace();
  const source = await readFile(join(import.meta.dirname, "fixtures", "detector.ts"), "utf8");
  for (const id of IDS) await writeFrameworkBuildpack(ws, { id, version: V, source });
  // The lifecycle accepts this descriptor (it ignores licenses); the framework must not.
  await writeFrameworkBuildpack(ws, {
    id: "t/broken",
    version: V,
    source,
    rawBuildpackToml: `api = "0.12"\n[buildpack]\nid = "t/broken"\nversion = "${V}"\n[[buildpack.licenses]]\n`,
  });
  // A composite buildpack: buildpack.toml with an order and no bin/.
  const composite = join(ws.buildpacks, "t_composite", V);
  await mkdir(composite, { recursive: true });
  await writeFile(
    join(composite, "buildpack.toml"),
    [
      'api = "0.12"',
      "[buildpack]",
      'id = "t/composite"',
      `version = "${V}"`,
      "[[order]]",
      ...["t/fail", "t/provider"].flatMap((id) => ["[[order.group]]", `id = "${id}"`, `version = "${V}"`]),
      "[[order]]",
      ...["t/provider", "t/fail", "t/or"].flatMap((id) => [
        "[[order.group]]",
        `id = "${id}"`,
        `version = "${V}"`,
        ...(id === "t/fail" ? ["optional = true"] : []),
      ]),
      "",
    ].join("\n"),
  );
});

afterAll(() => ws?.cleanup());

beforeEach(async () => {
  for (const f of ["group.toml", "plan.toml"]) await rm(join(ws.layers, f), { force: true });
  await rm(join(ws.platform, "env", "BP_LOG_LEVEL"), { force: true });
});

/** Runs the detector over an order of groups written as ids (suffix "?" = optional). */
async function detectOrder(...groups: `${Id}${"" | "?"}`[][]) {
  await writeOrder(
    ws,
    groups.map((g) => g.map((e) => ({ id: e.replace(/\?$/, ""), version: V, optional: e.endsWith("?") }))),
  );
  return detect(ws);
}

const group = async () => (await readLifecycleToml(join(ws.layers, "group.toml")))?.group;
const bp = (id: string) => ({ id, version: V, api: "0.12" });

/** plan.toml entries sorted by name (the lifecycle's own order of names is a map's). */
async function planEntries() {
  const plan = await readLifecycleToml(join(ws.layers, "plan.toml"));
  const entries = (plan?.entries ?? []) as { requires: { name: string }[] }[];
  return entries.sort((a, b) => a.requires[0]!.name.localeCompare(b.requires[0]!.name));
}

describe("pass with plans and or", () => {
  test("the group passes and plan.toml pairs each requirement with its provider", async () => {
    const r = await detectOrder(["t/provider", "t/or"]);
    expect(r.code, r.output).toBe(0);
    expect(await group()).toEqual([bp("t/provider"), bp("t/or")]);
    expect(await planEntries()).toEqual([
      {
        providers: [{ id: "t/provider", version: V }],
        requires: [{ name: "runtime", metadata: { version: "1.2.3", "version-source": "test" } }],
      },
      { providers: [{ id: "t/or", version: V }], requires: [{ name: "tool", metadata: { alternative: 2 } }] },
    ]);
  });

  test("a requirement nobody provides fails the group (exit 20, no group.toml)", async () => {
    const r = await detectOrder(["t/provider", "t/unresolved"]);
    expect(r.code, r.output).toBe(20);
    expect(await exists(join(ws.layers, "group.toml"))).toBe(false);
  });
});

describe("fail", () => {
  test("detect's fail (exit 100) fails a required buildpack's group: exit 20, not an error", async () => {
    const r = await detectOrder(["t/fail"]);
    expect(r.code, r.output).toBe(20);
    expect(await exists(join(ws.layers, "group.toml"))).toBe(false);
  });

  test("an optional buildpack that fails is dropped from its group", async () => {
    const r = await detectOrder(["t/provider", "t/fail?"]);
    expect(r.code, r.output).toBe(0);
    expect(await group()).toEqual([bp("t/provider")]);
  });

  test("an order of several groups: the first group fails on a required buildpack, the second passes without its optional one", async () => {
    const r = await detectOrder(["t/fail", "t/provider"], ["t/provider", "t/fail?", "t/or"]);
    expect(r.code, r.output).toBe(0);
    expect(await group()).toEqual([bp("t/provider"), bp("t/or")]);
    expect((await planEntries()).map((e) => e.requires[0]!.name)).toEqual(["runtime", "tool"]);
  });
});

describe("composite buildpack", () => {
  test("its order is expanded: the first group fails, the second passes and group.toml lists its passing members", async () => {
    const r = await detectOrder(["t/composite"]);
    expect(r.code, r.output).toBe(0);
    expect(await group()).toEqual([bp("t/provider"), bp("t/or")]);
    expect((await planEntries()).map((e) => e.requires[0]!.name)).toEqual(["runtime", "tool"]);
  });
});

describe("error", () => {
  test("a buildpack error is exit 21, shown as the framework's one line and hint, with no stack trace", async () => {
    const r = await detectOrder(["t/error"]);
    expect(r.code, r.output).toBe(21);
    const printed = r.output.split("======== Output: t/error@1.0.0 ========\n")[1]?.split("======== Results")[0];
    expect(printed).toBe('error: app.json: [start] must be a string, not 42\n  write start = "npm start"\n');
    expect(r.output).not.toMatch(/^\s+at /m);
  });

  test("BP_LOG_LEVEL=debug from the platform env adds the stack", async () => {
    await writeFile(join(ws.platform, "env", "BP_LOG_LEVEL"), "debug");
    const r = await detectOrder(["t/error"]);
    expect(r.code, r.output).toBe(21);
    expect(r.output).toContain("error: app.json: [start] must be a string, not 42");
    expect(r.output).toMatch(/^\s+at /m);
  });

  test("a buildpack.toml the framework rejects is one clear line naming the file and field", async () => {
    const r = await detectOrder(["t/broken"]);
    expect(r.code, r.output).toBe(21);
    // What the buildpack printed, as the detector frames it.
    const printed = r.output.split("======== Output: t/broken@1.0.0 ========\n")[1]?.split("======== Results")[0];
    const file = join(ws.buildpacks, "t_broken", V, "buildpack.toml");
    expect(printed).toBe(`error: ${file}: [[buildpack.licenses]][0] needs a type or a uri\n`);
    expect(r.output).not.toMatch(/^\s+at /m);
  });
});
