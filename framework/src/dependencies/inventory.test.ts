import { describe, expect, test } from "vitest";
import { CnbError } from "../errors/index.js";
import { type Dependency, dependencyComponent, parseInventory, resolveDependency } from "./inventory.js";
import { NoMatchingVersionError } from "./no-matching-version.js";
import { parseToml } from "../cnb-files/index.js";

const sha = (c: string) => c.repeat(64);

function entry(version: string, extra = "") {
  return `
[[metadata.dependencies]]
id = "node"
name = "Node.js"
version = "${version}"
uri = "https://nodejs.org/dist/v${version}/node-v${version}-linux-x64.tar.xz"
sha256 = "${sha("a")}"
${extra}
`;
}

const toml = `
[buildpack]
id = "acme/node"
${entry("24.11.1", 'os = "linux"\narch = "amd64"\ncpes = ["cpe:2.3:a:nodejs:node.js:24.11.1:*:*:*:*:*:*:*"]\nlicenses = [{ type = "MIT", uri = "https://spdx.org/licenses/MIT.html" }]\npurl = "pkg:generic/node@24.11.1?arch=amd64"\nstrip-components = 1\nsource = "https://nodejs.org/dist/v24.11.1/node-v24.11.1.tar.gz"\nsource-sha256 = "' + sha("B") + '"')}
${entry("24.11.1", 'os = "linux"\narch = "arm64"')}
${entry("24.10.0", "deprecation-date = 2020-01-01T00:00:00Z")}
${entry("22.21.0", 'cpe = "cpe:2.3:a:nodejs:node.js:22.21.0:*:*:*:*:*:*:*"\nlicenses = ["MIT"]\ndeprecation_date = 2027-04-30')}
${entry("25.0.0-rc.1")}
`;

const inventory = parseInventory(parseToml(toml, "buildpack.toml").metadata);

describe("parseInventory", () => {
  test("reads kebab-case keys into camelCase fields", () => {
    expect(inventory).toHaveLength(5);
    const first = inventory[0] as Dependency;
    expect(first).toEqual({
      id: "node",
      name: "Node.js",
      version: "24.11.1",
      os: "linux",
      arch: "amd64",
      uri: "https://nodejs.org/dist/v24.11.1/node-v24.11.1-linux-x64.tar.xz",
      sha256: sha("a"),
      source: "https://nodejs.org/dist/v24.11.1/node-v24.11.1.tar.gz",
      sourceSha256: sha("b"),
      purl: "pkg:generic/node@24.11.1?arch=amd64",
      cpes: ["cpe:2.3:a:nodejs:node.js:24.11.1:*:*:*:*:*:*:*"],
      licenses: ["MIT"],
      stripComponents: 1,
    });
  });

  test("accepts the legacy single cpe, string licenses and both deprecation date spellings", () => {
    const v22 = inventory.find((d) => d.version === "22.21.0");
    expect(v22?.cpes).toEqual(["cpe:2.3:a:nodejs:node.js:22.21.0:*:*:*:*:*:*:*"]);
    expect(v22?.licenses).toEqual(["MIT"]);
    expect(v22?.deprecationDate?.toISOString()).toBe("2027-04-30T00:00:00.000Z");
    expect(inventory.find((d) => d.version === "24.10.0")?.deprecationDate?.toISOString()).toBe(
      "2020-01-01T00:00:00.000Z",
    );
  });

  test("no metadata or no dependencies is an empty inventory", () => {
    expect(parseInventory(undefined)).toEqual([]);
    expect(parseInventory({ other: 1 })).toEqual([]);
  });

  test.each([
    [`sha256 = "abc"`, `[[metadata.dependencies]][0].sha256 "abc" is not a 64-character hex sha256`],
    [`uri = "not a uri"`, `[[metadata.dependencies]][0].uri "not a uri" is not a URI`],
    [`version = 3`, `[[metadata.dependencies]][0].version must be a non-empty string, got 3`],
    [`strip-components = -1`, `[[metadata.dependencies]][0].strip-components must be a non-negative integer, got -1`],
    [`cpes = "cpe:2.3:a"`, `[[metadata.dependencies]][0].cpes must be an array of strings, got "cpe:2.3:a"`],
    [
      `licenses = [{ uri = "x" }]`,
      `[[metadata.dependencies]][0].licenses[0] must be a license id or a { type, uri } table with a type, got {"uri":"x"}`,
    ],
    [
      `deprecation-date = "soon"`,
      `[[metadata.dependencies]][0].deprecation-date "soon" is not a date (e.g. 2028-04-30T00:00:00Z)`,
    ],
    [`source-sha256 = "zz"`, `[[metadata.dependencies]][0].source-sha256 "zz" is not a 64-character hex sha256`],
  ])("rejects %s", (line, message) => {
    const base = { id: "node", version: "1.0.0", uri: "https://x/y", sha256: sha("a") };
    const overrides = parseToml(line, "t.toml");
    const err = (() => {
      try {
        parseInventory({ dependencies: [{ ...base, ...overrides }] }, "bp/buildpack.toml");
      } catch (e) {
        return e;
      }
    })() as CnbError;
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toBe(`bp/buildpack.toml: ${message}`);
  });

  test("names the index of the bad entry and missing fields", () => {
    const good = { id: "node", version: "1.0.0", uri: "https://x/y", sha256: sha("a") };
    expect(() => parseInventory({ dependencies: [good, good, { ...good, sha256: "abc" }] })).toThrow(
      'buildpack.toml: [[metadata.dependencies]][2].sha256 "abc" is not a 64-character hex sha256',
    );
    const { uri: _uri, ...noUri } = good;
    expect(() => parseInventory({ dependencies: [noUri] })).toThrow(
      "buildpack.toml: [[metadata.dependencies]][0].uri is missing",
    );
    expect(() => parseInventory({ dependencies: "x" })).toThrow("metadata.dependencies must be an array of tables");
  });
});

describe("resolveDependency", () => {
  const warnings: string[] = [];
  const log = { warn: (t: string) => warnings.push(t) };
  const now = new Date("2027-04-15T00:00:00Z");

  test.each([
    [undefined, "24.11.1"],
    ["*", "24.11.1"],
    ["24.x", "24.11.1"],
    ["~24.10", "24.10.0"],
    [">=22 <24", "22.21.0"],
    ["22", "22.21.0"],
    ["24.11.1", "24.11.1"],
    ["^25.0.0-rc.1", "25.0.0-rc.1"],
  ])("range %s picks %s", (range, expected) => {
    expect(
      resolveDependency(inventory, { id: "node", version: range, os: "linux", arch: "amd64" }, log, now).version,
    ).toBe(expected);
  });

  test("filters by os/arch; entries without them match any platform", () => {
    const arm = resolveDependency(inventory, { id: "node", version: "24.11", os: "linux", arch: "arm64" });
    expect(arm.arch).toBe("arm64");
    const amd = resolveDependency(inventory, { id: "node", version: "24.11", os: "linux", arch: "amd64" });
    expect(amd.arch).toBe("amd64");
    expect(resolveDependency(inventory, { id: "node", version: "22", arch: "riscv64" }).version).toBe("22.21.0");
  });

  test("distros: an entry that names them matches only their run images; one without runs anywhere", () => {
    const inv = parseInventory(
      parseToml(
        `${entry("3.11.2")}${entry("3.14.10", 'distros = [{ name = "debian", version = "13" }]')}`,
        "buildpack.toml",
      ).metadata,
    );
    expect(inv[1]?.distros).toEqual([{ name: "debian", version: "13" }]);
    const pick = (distro?: { name: string; version: string }) =>
      resolveDependency(inv, { id: "node", ...(distro ? { distro } : {}) }).version;
    expect([pick({ name: "debian", version: "13" }), pick({ name: "debian", version: "12" }), pick()]).toEqual([
      "3.14.10",
      "3.11.2",
      "3.14.10",
    ]);
    expect(() =>
      parseInventory(parseToml(entry("3.14.10", 'distros = ["debian-13"]'), "buildpack.toml").metadata),
    ).toThrow(/\.distros\[0\] must be a \{ name, version \} table of strings, got "debian-13"/);
  });

  test("warns when the chosen version is deprecated or will be within 30 days", () => {
    warnings.length = 0;
    resolveDependency(inventory, { id: "node", version: "24.10" }, log, now);
    resolveDependency(inventory, { id: "node", version: "22" }, log, now);
    resolveDependency(inventory, { id: "node", version: "22" }, log, new Date("2026-01-01T00:00:00Z"));
    expect(warnings).toEqual([
      "Node.js 24.10.0 is deprecated since 2020-01-01; upgrade to a newer version",
      "Node.js 22.21.0 is deprecated after 2027-04-30",
    ]);
  });

  test("no match names id, range, platform and newest, and hints at what exists", () => {
    const err = (() => {
      try {
        resolveDependency(inventory, { id: "node", version: "99", os: "linux", arch: "arm64" });
      } catch (e) {
        return e;
      }
    })() as CnbError;
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toBe('no node version matches "99" for linux/arm64 in the inventory (newest: 25.0.0-rc.1)');
    expect(err.hint).toBe("Available for linux/arm64: 25.0.0-rc.1, 24.11.1, 24.10.0, 22.21.0");
    // The facts, for a buildpack's own line, without reading the text.
    expect(err).toBeInstanceOf(NoMatchingVersionError);
    expect((err as NoMatchingVersionError).miss).toEqual({
      id: "node",
      range: "99",
      platform: "linux/arm64",
      available: ["25.0.0-rc.1", "24.11.1", "24.10.0", "22.21.0"],
      newest: "25.0.0-rc.1",
      otherPlatforms: ["linux/amd64", "linux/arm64", "any/any"],
    });
    expect(() => resolveDependency(inventory, { id: "python" })).toThrow(
      'no dependency with id "python" in the inventory',
    );
    expect(() => resolveDependency(inventory, { id: "node", version: "not a range!" })).toThrow(
      '"not a range!" is not a valid version range for node',
    );
  });
});

test("dependencyComponent carries purl, cpes, licenses and checksum", () => {
  const dep = inventory[0] as Dependency;
  expect(dependencyComponent(dep)).toEqual({
    name: "Node.js",
    version: "24.11.1",
    purl: "pkg:generic/node@24.11.1?arch=amd64",
    cpes: ["cpe:2.3:a:nodejs:node.js:24.11.1:*:*:*:*:*:*:*"],
    licenses: ["MIT"],
    sha256: sha("a"),
    type: "library",
  });
  const { purl: _p, ...noPurl } = dep;
  expect(dependencyComponent(noPurl).purl).toBe("pkg:generic/node@24.11.1");
});
