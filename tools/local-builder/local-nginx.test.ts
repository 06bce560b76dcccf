import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { expect, onTestFinished, test } from "vitest";
import { TRIXIE } from "./debian-index.js";
import { localNginxTarball, localWebBuildpackToml } from "./local-nginx.js";

test("trixie's nginx, laid out from its .debs, runs here (Debian 12) from its own tree with only mime.types beside it", async () => {
  const made = await localNginxTarball("amd64", TRIXIE);
  expect(made.version).toMatch(/^1\.26\.\d+$/);
  expect(made.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(made.distros).toEqual(["12", "13"]);
  const dir = await mkdtemp(join(tmpdir(), "nginx-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  expect(spawnSync("tar", ["-xzf", made.path, "-C", dir]).status).toBe(0);
  const listing = spawnSync("tar", ["-tzf", made.path], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).sort();
  expect(listing).toEqual([
    "nginx/",
    "nginx/conf/",
    "nginx/conf/mime.types",
    "nginx/lib/",
    "nginx/sbin/",
    "nginx/sbin/nginx",
    "nginx/share/",
    "nginx/share/doc/",
    "nginx/share/doc/copyright",
  ]);
  const v = spawnSync(join(dir, "nginx/sbin/nginx"), ["-V"], { encoding: "utf8" });
  expect(v.stderr).toContain("--with-http_gzip_static_module");
}, 180_000);

test("the local web buildpack.toml names the tarballs by file:// with their sha256 and distros", () => {
  const real =
    'api = "0.12"\n[buildpack]\nid = "cnbkit/web"\nversion = "0.1.0"\n[metadata]\n[metadata.default-versions]\nnginx = "1.*"\n';
  const text = localWebBuildpackToml(
    real,
    [
      {
        path: "/c/nginx.tgz",
        sha256: "a".repeat(64),
        version: "1.26.3",
        debianVersion: "1.26.3-3+deb13u1",
        distros: ["13"],
      },
    ],
    "amd64",
    "../../src/index.ts",
  );
  const doc = parseToml(text, "t");
  const dep = ((doc.metadata as TomlTable).dependencies as TomlTable[])[0] as TomlTable;
  expect(dep.uri).toBe("file:///c/nginx.tgz");
  expect(dep.distros).toEqual([{ name: "debian", version: "13" }]);
  expect(((doc.metadata as TomlTable)["default-versions"] as TomlTable).nginx).toBe("1.*");
});
