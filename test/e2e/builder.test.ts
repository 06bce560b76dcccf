/**
 * The reference builder (its local-inventory variant) made by `builder create` from
 * builders/reference/builder.toml, read back with skopeo.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { E2E_DIR, referenceBuilder, ROOT } from "./support.js";

let builder = "";

beforeAll(async () => {
  const t0 = Date.now();
  builder = await referenceBuilder();
  console.log(`reference builder ready in ${Date.now() - t0} ms`);
});

function skopeo(args: string[]): Record<string, unknown> {
  const r = spawnSync("skopeo", args, { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

test("skopeo reads the builder: pack's labels, the reference order, lifecycle 0.21.17, the CNB user", async () => {
  const info = skopeo(["inspect", builder]);
  expect(info.Os).toBe("linux");
  expect(info.Architecture).toBe("amd64");
  const labels = info.Labels as Record<string, string>;
  const meta = JSON.parse(labels["io.buildpacks.builder.metadata"] as string);
  expect(meta.lifecycle.version).toBe("0.21.17");
  // Every buildpack builders/reference/builder.toml lists, and the Node.js runtime they share.
  const reference = parseToml(await readFile(join(ROOT, "builders/reference/builder.toml"), "utf8"), "builder.toml");
  const groups = (reference.order as { group: { id: string; optional?: boolean }[] }[]).map((o) => o.group);
  const ids = [...new Set(groups.flat().map((g) => g.id))];
  expect(meta.buildpacks.map((b: { id: string }) => b.id).sort()).toEqual([...ids, "cnbkit/node-runtime"].sort());
  expect(ids).toEqual(
    expect.arrayContaining(["cnbkit/nodejs", "cnbkit/python", "cnbkit/java", "cnbkit/go", "cnbkit/web"]),
  );
  // The order label is builder.toml's order, each entry with the version the builder resolved.
  const order = JSON.parse(labels["io.buildpacks.buildpack.order"] as string);
  expect(order.map((o: { group: { id: string; optional?: boolean }[] }) => o.group)).toEqual(
    groups.map((g) => g.map(({ id, optional }) => ({ id, version: "0.1.0", ...(optional ? { optional } : {}) }))),
  );
  // The run image is the base layout's run tag, by absolute path so the builder works anywhere.
  expect(meta.stack?.runImage?.image ?? meta.runImages?.[0]?.image).toBe(`oci:${join(E2E_DIR, "base")}:run`);
  const config = skopeo(["inspect", "--config", builder]) as { config: { Env: string[]; User: string } };
  expect(config.config.Env).toEqual(expect.arrayContaining(["CNB_USER_ID=1000", "CNB_GROUP_ID=1000"]));
  expect(config.config.User).toBe("1000:1000");
});

test("the nodejs buildpack in it carries the local Node.js tarballs offline, in its layer", async () => {
  const info = skopeo(["inspect", builder]);
  const layers = JSON.parse((info.Labels as Record<string, string>)["io.buildpacks.buildpack.layers"] as string);
  const node = layers["cnbkit/nodejs"]["0.1.0"];
  expect(node.api).toBe("0.12");
  // The generated buildpack.toml lists one local tarball per Node.js line (22, 24, 26), each
  // with the npm of its line.
  const generated = parseToml(
    await readFile(join(E2E_DIR, "reference-local/nodejs/buildpack.toml"), "utf8"),
    "generated buildpack.toml",
  );
  const deps = (generated.metadata as { dependencies: { uri: string; sha256: string }[] }).dependencies;
  expect(deps.map((d) => d.uri.replace(/^file:\/\/.*\/test-mirror\//, ""))).toEqual([
    "npm-10.9.9/node-v22.23.3-linux-x64.tar.gz",
    // The patch release before the default, for cnbkit fleet patch's proof (local-node.ts).
    "npm-11.21.2/node-v24.20.0-linux-x64.tar.gz",
    "npm-11.21.2/node-v24.21.0-linux-x64.tar.gz",
    "npm-11.21.2/node-v26.10.0-linux-x64.tar.gz",
  ]);
  const list = spawnSync("tar", ["-tf", join(E2E_DIR, "reference-local/nodejs.cnb")], { encoding: "utf8" });
  expect(list.status).toBe(0);
  expect(list.stdout).toMatch(/index\.json/);
  // The reference builder.toml itself still points at the official inventory.
  const official = await readFile(join(ROOT, "buildpacks/nodejs/buildpack.toml"), "utf8");
  expect(official).toMatch(/https:\/\/nodejs\.org\/dist\/v24\./);
});

test("the builder holds one Node.js runtime layer, shared by every cnbkit buildpack; the small buildpacks' own layers are < 1 MB", () => {
  const info = skopeo(["inspect", builder]) as { Labels: Record<string, string> };
  const manifest = skopeo(["inspect", "--raw", builder]) as { layers: { size: number }[] };
  const config = skopeo(["inspect", "--config", builder]) as { rootfs: { diff_ids: string[] } };
  const layers = JSON.parse(info.Labels["io.buildpacks.buildpack.layers"] as string) as Record<
    string,
    Record<string, { layerDiffID: string }>
  >;
  const sizeOf = (id: string) => {
    const [entry] = Object.values(layers[id] ?? {});
    const at = config.rootfs.diff_ids.indexOf(entry?.layerDiffID ?? "none");
    expect(at, `${id}'s layer is in the image`).toBeGreaterThanOrEqual(0);
    return manifest.layers[at]?.size ?? 0;
  };
  const runtime = layers["cnbkit/node-runtime"] ?? {};
  expect(Object.keys(runtime)).toHaveLength(1);
  const runtimeDiff = Object.values(runtime)[0]?.layerDiffID;
  expect(config.rootfs.diff_ids.filter((d) => d === runtimeDiff)).toHaveLength(1);
  expect(sizeOf("cnbkit/node-runtime")).toBeGreaterThan(30 * 1024 * 1024);
  for (const id of ["cnbkit/procfile", "cnbkit/ca-certificates", "cnbkit/environment-variables", "cnbkit/image-labels"])
    expect(sizeOf(id)).toBeLessThan(1024 * 1024);
});
