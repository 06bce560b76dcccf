/**
 * Ad-hoc buildpacks in a builder view: every form `--buildpack` takes (a prebuilt dir, a
 * `.cnb`, `oci:<dir>`, `id@version` of the builder) lands under /cnb/buildpacks and in a
 * rewritten /cnb/order.toml as one group, pre/post buildpacks wrap each of the builder's
 * groups, and bad references are one line.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, onTestFinished, test } from "vitest";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { packageBuildpack } from "../../package/index.js";
import { writeShellBuildpack } from "../../package/test-fixtures.js";
import { type AdhocBuildpack, applyAdhocOrder } from "./adhoc-buildpacks.js";

const platform = { os: "linux", architecture: "amd64" };
let work = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-adhoc-"));
  await writeShellBuildpack(join(work, "dir-bp"), { id: "acme/dir", version: "1.0.0" });
  await writeShellBuildpack(join(work, "cnb-src"), { id: "acme/cnb", version: "2.0.0" });
  await writeShellBuildpack(join(work, "oci-src"), { id: "acme/oci", version: "3.0.0" });
  await packageBuildpack({ dir: join(work, "cnb-src"), format: "file", output: join(work, "acme.cnb") });
  await packageBuildpack({ dir: join(work, "oci-src"), format: "oci", output: join(work, "oci-layout") });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A builder view with cnbkit/base@0.1.0 and an order of two groups. */
async function builderView(): Promise<string> {
  const root = await mkdtemp(join(work, "view-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const bp = join(root, "cnb/buildpacks/cnbkit_base/0.1.0");
  await mkdir(bp, { recursive: true });
  await writeFile(join(bp, "buildpack.toml"), 'api = "0.10"\n[buildpack]\nid = "cnbkit/base"\nversion = "0.1.0"\n');
  await writeFile(
    join(root, "cnb/order.toml"),
    '[[order]]\n[[order.group]]\nid = "cnbkit/base"\nversion = "0.1.0"\n\n[[order]]\n[[order.group]]\nid = "cnbkit/base"\noptional = true\n',
  );
  return root;
}

const refs = (where: string, ...list: string[]): AdhocBuildpack[] => list.map((ref) => ({ ref, where }));
const ctx = (lines: string[]) => ({
  baseDir: work,
  workDir: join(work, "scratch"),
  platform,
  say: (l: string) => lines.push(l),
});

async function order(root: string): Promise<unknown> {
  return parseToml(await readFile(join(root, "cnb/order.toml"), "utf8"), "order.toml").order;
}

test("--buildpack in every form replaces the order with one group, in the given order", async () => {
  const root = await builderView();
  const lines: string[] = [];
  const group = refs("--buildpack", "./dir-bp", "acme.cnb", `oci:${join(work, "oci-layout")}`, "cnbkit/base@0.1.0");
  await applyAdhocOrder(root, { group }, ctx(lines));
  expect(await order(root)).toEqual([
    {
      group: [
        { id: "acme/dir", version: "1.0.0" },
        { id: "acme/cnb", version: "2.0.0" },
        { id: "acme/oci", version: "3.0.0" },
        { id: "cnbkit/base", version: "0.1.0" },
      ],
    },
  ]);
  for (const d of ["acme_dir/1.0.0", "acme_cnb/2.0.0", "acme_oci/3.0.0"]) {
    expect(existsSync(join(root, "cnb/buildpacks", d, "bin/build")), d).toBe(true);
  }
  expect(lines.at(-1)).toBe(
    "Using buildpacks acme/dir@1.0.0, acme/cnb@2.0.0, acme/oci@3.0.0, cnbkit/base@0.1.0 instead of the builder's order",
  );
});

test("--pre-buildpack and --post-buildpack go around each of the builder's groups", async () => {
  const root = await builderView();
  await applyAdhocOrder(
    root,
    { pre: refs("--pre-buildpack", "./dir-bp"), post: refs("--post-buildpack", "acme.cnb") },
    ctx([]),
  );
  const pre = { id: "acme/dir", version: "1.0.0" };
  const post = { id: "acme/cnb", version: "2.0.0" };
  expect(await order(root)).toEqual([
    { group: [pre, { id: "cnbkit/base", version: "0.1.0" }, post] },
    { group: [pre, { id: "cnbkit/base", optional: true }, post] },
  ]);
});

test("--buildpack from=builder splices the builder's order: the ones before and after it go around each group, as pack does", async () => {
  const root = await builderView();
  const lines: string[] = [];
  const group = refs("--buildpack", "./dir-bp", "from=builder", "acme.cnb");
  await applyAdhocOrder(root, { group, post: refs("--post-buildpack", `oci:${join(work, "oci-layout")}`) }, ctx(lines));
  const dir = { id: "acme/dir", version: "1.0.0" };
  const cnb = { id: "acme/cnb", version: "2.0.0" };
  const oci = { id: "acme/oci", version: "3.0.0" };
  expect(await order(root)).toEqual([
    { group: [dir, { id: "cnbkit/base", version: "0.1.0" }, cnb, oci] },
    { group: [dir, { id: "cnbkit/base", optional: true }, cnb, oci] },
  ]);
  expect(lines.at(-1)).toBe(
    "Using the builder's order (from=builder) with acme/dir@1.0.0 before and acme/cnb@2.0.0, acme/oci@3.0.0 after every group",
  );

  // Alone, it keeps the builder's order; from=builder:<id> names one of its buildpacks.
  const alone = await builderView();
  const said: string[] = [];
  await applyAdhocOrder(alone, { group: refs("--buildpack", "from=builder") }, ctx(said));
  expect(await order(alone)).toEqual([
    { group: [{ id: "cnbkit/base", version: "0.1.0" }] },
    { group: [{ id: "cnbkit/base", optional: true }] },
  ]);
  expect(said).toEqual(["Using the builder's order (--buildpack from=builder)"]);
  const one = await builderView();
  await applyAdhocOrder(one, { group: refs("--buildpack", "./dir-bp", "from=builder:cnbkit/base") }, ctx([]));
  expect(await order(one)).toEqual([{ group: [dir, { id: "cnbkit/base", version: "0.1.0" }] }]);

  await expect(
    applyAdhocOrder(await builderView(), { group: refs("--buildpack", "from=builder", "from=builder") }, ctx([])),
  ).rejects.toThrow("--buildpack from=builder is given 2 times; the builder's order goes in once");
});

test("a dir that is no buildpack, an id@version the builder lacks, a file that is no .cnb: one line each", async () => {
  const root = await builderView();
  await mkdir(join(work, "plain"), { recursive: true });
  await writeFile(join(work, "plain/index.js"), "x");
  await writeFile(join(work, "notes.txt"), "x");
  const apply = (ref: string) => applyAdhocOrder(root, { group: refs("--buildpack", ref) }, ctx([]));
  await expect(apply("plain")).rejects.toThrow(
    /^--buildpack plain is not a buildpack: the directory has no buildpack.toml, package.toml or oci-layout \(found index\.js\)$/,
  );
  await expect(apply("cnbkit/base@9.9.9")).rejects.toThrow(
    /^--buildpack cnbkit\/base@9\.9\.9: the builder has no such buildpack; it has cnbkit\/base@0\.1\.0$/,
  );
  await expect(apply("notes.txt")).rejects.toThrow(
    /^--buildpack: uri "notes\.txt" is neither a directory nor a \.cnb file/,
  );
  // Nothing was changed on the way.
  expect(await order(root)).toHaveLength(2);
});
