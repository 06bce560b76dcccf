import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CnbError } from "../errors/index.js";
import { PARSED_BUILDPACK_TOML } from "../bundle/launched-bundle.js";
import { type BuildpackDescriptor, buildpackDirName, readBuildpackToml } from "./buildpack-toml.js";
import { parseBuildpackToml, stringifyBuildpackToml } from "./buildpack-toml-text.js";

const full: BuildpackDescriptor = {
  api: "0.12",
  buildpack: {
    id: "acme/node",
    version: "1.2.3-rc.1",
    name: "Acme Node.js ✓",
    homepage: "https://example.com/node",
    description: 'Node.js for "apps"\nsecond line',
    keywords: ["node", "javascript"],
    licenses: [{ type: "Apache-2.0" }, { uri: "https://example.com/LICENSE" }],
    clearEnv: true,
    sbomFormats: ["application/vnd.cyclonedx+json", "application/spdx+json"],
    execEnv: ["production", "test"],
  },
  targets: [
    { os: "linux", arch: "amd64", distros: [{ name: "ubuntu", version: "24.04" }, { name: "debian" }] },
    { os: "linux", arch: "arm64", variant: "v8" },
  ],
  order: [],
  metadata: {
    "default-version": "24.*",
    count: 3,
    ratio: 0.5,
    released: new Date("2024-05-27T07:32:00.000Z"),
    deps: [{ id: "node", sha256: "ab".repeat(32), stacks: ["*"] }],
    nested: { deeper: { deepest: ["ünïcödé", "🚀"] } },
    empty: {},
  },
};

describe("buildpack.toml", () => {
  test("a full descriptor survives stringify and parse", () => {
    const text = stringifyBuildpackToml(full);
    expect(parseBuildpackToml(text)).toEqual(full);
    expect(text).toContain("clear-env = true");
    expect(text).toContain('sbom-formats = [ "application/vnd.cyclonedx+json"');
  });

  test("a composite buildpack survives a round trip and writes [[order.group]]", () => {
    const composite: BuildpackDescriptor = {
      api: "0.12",
      buildpack: { id: "acme/java", version: "2.0.0" },
      targets: [],
      order: [
        {
          group: [
            { id: "acme/jdk", version: "1.0.0" },
            { id: "acme/maven", optional: true, execEnv: ["test"] },
          ],
        },
        { group: [{ id: "acme/jdk" }] },
      ],
      metadata: {},
    };
    const text = stringifyBuildpackToml(composite);
    expect(text).toContain("[[order.group]]");
    expect(text).not.toContain("[metadata]");
    expect(parseBuildpackToml(text)).toEqual(composite);
  });

  test("parses the spec's example shape (kebab-case keys, [[buildpack.licenses]], [[targets.distros]])", () => {
    const text = `
api = "0.11"

[buildpack]
id = "io.buildpacks.ruby"
name = "Ruby"
version = "0.1.0"
homepage = "https://buildpacks.io"
clear-env = false
description = "Ruby buildpack"
keywords = [ "ruby" ]
sbom-formats = [ "application/vnd.syft+json" ]

[[buildpack.licenses]]
type = "MIT"
uri = "https://example.com/mit"

[[targets]]
os = "linux"
arch = "arm"
variant = "v7"
[[targets.distros]]
name = "ubuntu"
version = "22.04"

[metadata]
anything = { goes = true }
`;
    expect(parseBuildpackToml(text)).toEqual({
      api: "0.11",
      buildpack: {
        id: "io.buildpacks.ruby",
        name: "Ruby",
        version: "0.1.0",
        homepage: "https://buildpacks.io",
        clearEnv: false,
        description: "Ruby buildpack",
        keywords: ["ruby"],
        sbomFormats: ["application/vnd.syft+json"],
        licenses: [{ type: "MIT", uri: "https://example.com/mit" }],
      },
      targets: [{ os: "linux", arch: "arm", variant: "v7", distros: [{ name: "ubuntu", version: "22.04" }] }],
      order: [],
      metadata: { anything: { goes: true } },
    });
  });

  test("legacy [[stacks]] maps as the lifecycle maps it when there are no [[targets]]", () => {
    const base = `api = "0.10"\n[buildpack]\nid = "a"\nversion = "1.0.0"\n`;
    expect(parseBuildpackToml(`${base}[[stacks]]\nid = "*"\n`).targets).toEqual([{}]);
    expect(parseBuildpackToml(`${base}[[stacks]]\nid = "io.buildpacks.stacks.bionic"\n`).targets).toEqual([
      { os: "linux", arch: "amd64", distros: [{ name: "ubuntu", version: "18.04" }] },
    ]);
    expect(parseBuildpackToml(`${base}[[stacks]]\nid = "io.paketo.stacks.tiny"\n`).targets).toEqual([]);
    expect(
      parseBuildpackToml(`${base}[[stacks]]\nid = "*"\n[[targets]]\nos = "linux"\narch = "arm64"\n`).targets,
    ).toEqual([{ os: "linux", arch: "arm64" }]);
  });

  test("reads the lifecycle's arch-variant and the spec's [[buildpack.exec-env]] table form", () => {
    const d = parseBuildpackToml(`api = "0.12"
[buildpack]
id = "a"
version = "1.0.0"
[[buildpack.exec-env]]
name = "production"
[[buildpack.exec-env]]
name = "development"
[[targets]]
os = "linux"
arch = "arm"
arch-variant = "v6"
`);
    expect(d.buildpack.execEnv).toEqual(["production", "development"]);
    expect(d.targets).toEqual([{ os: "linux", arch: "arm", variant: "v6" }]);
    expect(stringifyBuildpackToml(d)).toContain('exec-env = [ "production", "development" ]');
  });

  test("typed [metadata] goes through the buildpack's own validator", () => {
    interface Meta {
      nodeVersion: string;
    }
    const guard = (m: unknown): Meta => {
      const v = (m as Record<string, unknown>)["node-version"];
      if (typeof v !== "string") throw new Error("node-version must be a string");
      return { nodeVersion: v };
    };
    const base = `api = "0.12"\n[buildpack]\nid = "a"\nversion = "1.0.0"\n`;
    const d = parseBuildpackToml<Meta>(`${base}[metadata]\nnode-version = "24.x"\n`, "buildpack.toml", guard);
    expect(d.metadata.nodeVersion).toBe("24.x");
    const bad = () => parseBuildpackToml<Meta>(`${base}[metadata]\nnode-version = 24\n`, "bp/buildpack.toml", guard);
    expect(bad).toThrow(CnbError);
    expect(bad).toThrow("bp/buildpack.toml: [metadata] is invalid: node-version must be a string");
  });

  test("metadata tables are ordinary objects, even with a __proto__ key", () => {
    const d = parseBuildpackToml(
      `api = "0.12"\n[buildpack]\nid = "a"\nversion = "1.0.0"\n[metadata]\n"__proto__" = { polluted = true }\n[metadata.x]\ny = 1\n`,
    );
    expect(Object.getPrototypeOf(d.metadata)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(d.metadata.x)).toBe(Object.prototype);
    expect(Object.keys(d.metadata)).toEqual(["__proto__", "x"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("readBuildpackToml names the full path in messages", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cnbkit-spec-"));
    try {
      await expect(readBuildpackToml(dir)).rejects.toThrow(`${join(dir, "buildpack.toml")}: not found`);
      await writeFile(join(dir, "buildpack.toml"), stringifyBuildpackToml(full));
      expect((await readBuildpackToml(dir)).buildpack.id).toBe("acme/node");
      await writeFile(join(dir, "buildpack.toml"), `api = "0.12"\n[buildpack]\nid = "app"\nversion = "1.0.0"\n`);
      await expect(readBuildpackToml(dir)).rejects.toThrow(
        `${join(dir, "buildpack.toml")}: [buildpack].id "app" is reserved (app, config, generated and sbom are not allowed)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("readBuildpackToml takes the packager's parsed copy only when it was made from this very text", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cnbkit-spec-"));
    try {
      const text = `api = "0.12"\n[buildpack]\nid = "acme/node"\nversion = "1.0.0"\n[metadata]\nfrom = "toml"\n`;
      await writeFile(join(dir, "buildpack.toml"), text);
      await mkdir(join(dir, "lib"));
      const copy = (from: string, table: unknown) =>
        writeFile(join(dir, PARSED_BUILDPACK_TOML), JSON.stringify({ text: from, table }));
      // The copy says "copy" where the TOML says "toml": which one was read shows.
      const table = { api: "0.12", buildpack: { id: "acme/node", version: "1.0.0" }, metadata: { from: "copy" } };
      await copy(text, table);
      expect((await readBuildpackToml(dir)).metadata).toEqual({ from: "copy" });
      await copy(text.replace("1.0.0", "1.0.1"), table); // buildpack.toml edited after packaging
      expect((await readBuildpackToml(dir)).metadata).toEqual({ from: "toml" });
      await writeFile(join(dir, PARSED_BUILDPACK_TOML), "{ not json");
      expect((await readBuildpackToml(dir)).metadata).toEqual({ from: "toml" });
      // A copy is validated like the text: a bad field still names the file.
      await copy(text, { ...table, buildpack: { id: "app", version: "1.0.0" } });
      await expect(readBuildpackToml(dir)).rejects.toThrow(
        `${join(dir, "buildpack.toml")}: [buildpack].id "app" is reserved`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("stringify refuses a descriptor the parser would refuse", () => {
    const bad = { ...full, buildpack: { ...full.buildpack, id: "My BP!" } };
    expect(() => stringifyBuildpackToml(bad)).toThrow(
      `buildpack.toml: [buildpack].id "My BP!" may only contain letters, digits, '.', '/' and '-'`,
    );
  });

  test("buildpackDirName replaces every '/'", () => {
    expect(buildpackDirName("acme/node/v2")).toBe("acme_node_v2");
    expect(buildpackDirName("plain")).toBe("plain");
  });
});
