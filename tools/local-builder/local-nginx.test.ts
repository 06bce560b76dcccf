/**
 * The nginx .debs the local builder carries: the same files, URLs and sha256 the real
 * inventory names (buildpacks/web/buildpack.toml), checked against Debian's index, and the
 * generated local buildpack.toml pointing at the cached copies.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { parseInventory } from "@cnbkit/framework/dependencies";
import { expect, test } from "vitest";
import { TRIXIE } from "./debian-index.js";
import { localNginxDebs, localWebBuildpackToml, nginxInventory } from "./local-nginx.js";

const realToml = () => readFile(new URL("../../buildpacks/web/buildpack.toml", import.meta.url), "utf8");

test("trixie's nginx .debs: verified copies whose Architecture is the one asked, on Debian 12 and 13", async () => {
  for (const arch of ["amd64", "arm64"] as const) {
    const made = await localNginxDebs(arch, TRIXIE);
    expect(made.version).toMatch(/^1\.26\.\d+$/);
    expect(made.distros).toEqual(["12", "13"]);
    expect(made.debs.map((d) => d.name)).toEqual(["nginx", "nginx-common"]);
    const field = (file: string) =>
      spawnSync("dpkg-deb", ["-f", file, "Architecture"], { encoding: "utf8" }).stdout.trim();
    expect(field(made.debs[0]?.path as string)).toBe(arch);
    expect(field(made.debs[1]?.path as string)).toBe("all");
  }
}, 180_000);

test("the real buildpack.toml names exactly the .debs Debian's index gives, for both arches (or an older pin)", async () => {
  const real = parseInventory(parseToml(await realToml(), "buildpack.toml").metadata);
  for (const arch of ["amd64", "arm64"] as const) {
    const n = await localNginxDebs(arch, TRIXIE);
    const expected = parseInventory({ dependencies: nginxInventory(n, arch, (d) => d.url) });
    const pinned = real.filter((d) => d.arch === arch || d.arch === undefined);
    // When Debian has shipped a newer nginx than the pin, the index is ahead: say so, do not fail CI.
    if (pinned.find((d) => d.id === "nginx")?.uri !== expected[0]?.uri) {
      console.warn(`local-nginx: Debian serves ${n.debianVersion}; update buildpacks/web/buildpack.toml`);
      continue;
    }
    expect(pinned).toEqual(expected);
  }
}, 180_000);

test("the local web buildpack.toml names the cached .debs by file:// with Debian's sha256 and distros", () => {
  const real =
    'api = "0.12"\n[buildpack]\nid = "cnbkit/web"\nversion = "0.1.0"\n[metadata]\n[metadata.default-versions]\nnginx = "1.*"\n';
  const deb = (name: string) => ({
    name,
    url: `https://x/${name}.deb`,
    sha256: "a".repeat(64),
    path: `/c/${name}.deb`,
  });
  const text = localWebBuildpackToml(
    real,
    [
      {
        version: "1.26.3",
        debianVersion: "1.26.3-3+deb13u1",
        distro: "debian-13",
        distros: ["13"],
        debs: [deb("nginx"), deb("nginx-common")],
      },
    ],
    "amd64",
    "../../src/index.ts",
  );
  const doc = parseToml(text, "t");
  const [nginx, common] = (doc.metadata as TomlTable).dependencies as TomlTable[];
  expect(nginx?.uri).toBe("file:///c/nginx.deb");
  expect(nginx?.arch).toBe("amd64");
  expect(nginx?.["strip-components"]).toBe(1);
  expect(nginx?.purl).toBe("pkg:deb/debian/nginx@1.26.3-3%2Bdeb13u1?arch=amd64&distro=debian-13");
  expect(common?.uri).toBe("file:///c/nginx-common.deb");
  expect(common?.arch).toBeUndefined();
  expect(nginx?.distros).toEqual([{ name: "debian", version: "13" }]);
  expect(((doc.metadata as TomlTable)["default-versions"] as TomlTable).nginx).toBe("1.*");
});
