import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parseInventory, resolveDependency } from "@cnbkit/framework/dependencies";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import {
  LOCAL_NODE_VERSIONS,
  localBuilderToml,
  localNodeBuildpackToml,
  localNpmVersion,
  REPO_ROOT,
} from "./local-node.js";

const official = () => readFile(join(REPO_ROOT, "buildpacks/nodejs/buildpack.toml"), "utf8");
const major = (v: string) => v.split(".")[0];

test("the local inventory has one Node.js of each line the official inventory has", async () => {
  const doc = parseToml(await official(), "buildpack.toml");
  const lines = new Set(parseInventory(doc.metadata).map((d) => major(d.version)));
  expect(LOCAL_NODE_VERSIONS.map(major)).toEqual([...lines].sort());
});

test.each([
  ["22.23.3", "10.9.9"],
  ["24.21.0", "11.21.2"],
  ["26.10.0", "11.21.2"],
])("Node.js %s carries npm %s, the major nodejs.org ships with that line", (node, npm) => {
  expect(localNpmVersion(node)).toBe(npm);
});

test("a Node.js line with no npm chosen is one line naming the table", () => {
  expect(() => localNpmVersion("20.19.0")).toThrow(
    "tools/local-builder/local-node.ts: no npm chosen for Node.js 20.x; add it to LOCAL_NPM_VERSIONS",
  );
});

test.each(["amd64", "arm64"] as const)(
  "on %s, engines 22.x, 24.x (the default) and 26.x each resolve",
  async (arch) => {
    const deps = LOCAL_NODE_VERSIONS.map((version) => ({
      version,
      tarball: `/cache/node-v${version}-linux-${arch}.tar.gz`,
      sha256: "a".repeat(64),
    }));
    const doc = parseToml(localNodeBuildpackToml(await official(), deps, arch, "../src/index.ts"), "generated");
    expect(doc.targets).toEqual([{ os: "linux", arch }]);
    const metadata = doc.metadata as TomlTable;
    const inventory = parseInventory(metadata);
    const pick = (version: string) => resolveDependency(inventory, { id: "node", version, os: "linux", arch }).version;
    const defaultRange = (metadata["default-versions"] as TomlTable).node as string;
    expect([pick("22.x"), pick(defaultRange), pick("26.x")]).toEqual(["22.23.3", "24.21.0", "26.10.0"]);
    expect(inventory[0]?.uri).toBe(`file:///cache/node-v22.23.3-linux-${arch}.tar.gz`);
  },
);

test.each([
  ["amd64", "/out/java.cnb"],
  ["arm64", "/out/java.cnb"],
  ["arm64", undefined],
] as const)(
  "the local builder.toml on %s with java package %s: java swapped for it, or left out with its group",
  async (arch, javaPackage) => {
    const referenceDir = join(REPO_ROOT, "builders/reference");
    const reference = await readFile(join(referenceDir, "builder.toml"), "utf8");
    const text = localBuilderToml({
      referenceToml: reference,
      referenceDir,
      outDir: "/out",
      packages: { nodejs: "/out/nodejs.cnb", python: "/out/python.cnb", ...(javaPackage ? { java: javaPackage } : {}) },
      baseLayout: "/base",
      arch,
    });
    const doc = parseToml(text, "generated");
    const uris = (doc.buildpacks as TomlTable[]).map((b) => b.uri);
    const groups = (doc.order as TomlTable[]).map((o) => (o.group as TomlTable[]).map((g) => g.id).join(","));
    const javaGroup =
      "cnbkit/ca-certificates,cnbkit/java,cnbkit/procfile,cnbkit/environment-variables,cnbkit/image-labels";
    if (javaPackage) {
      expect(uris).toContain("java.cnb");
      expect(groups).toContain(javaGroup);
    } else {
      expect(uris.filter((u) => /(buildpacks\/java|java\.cnb)$/.test(String(u)))).toEqual([]);
      expect(groups.filter((g) => g.includes("java"))).toEqual([]);
    }
    // Node.js + web, static web, Go, Node.js, Python and Procfile-only groups stay either way.
    expect(groups.length).toBe(javaPackage ? 7 : 6);
  },
);
