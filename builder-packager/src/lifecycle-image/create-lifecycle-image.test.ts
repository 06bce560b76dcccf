/**
 * `cnbkit lifecycle image` end to end, without the network: release tarballs shaped like the
 * official ones (lifecycle.toml at the top, binaries in lifecycle/) made from the Go-built
 * lifecycles in the cnbkit cache, served by a loopback "GitHub release" with its checksums
 * file through CNBKIT_LIFECYCLE_MIRROR; the image is read back with skopeo and tar, and the
 * amd64 lifecycle in it is run.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { CnbError } from "@cnbkit/framework";
import { cachedLifecycleDir, releaseAsset } from "../builder/index.js";
import { main } from "../cli/index.js";
import { createLifecycleImage } from "./create-lifecycle-image.js";

const VERSION = "0.21.17";
const ARCHES = ["amd64", "arm64"] as const;
let work = "";
let server: http.Server;
let base = "";
const requests: string[] = [];
/** The checksums file each served release publishes, by release name (the URL's first segment). */
const sums: Record<string, string> = {};
const tarballs: Record<string, string> = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-lifecycle-image-"));
  const lines: string[] = [];
  for (const arch of ARCHES) {
    // As tools/packager/main.go lays a release out: lifecycle.toml, then lifecycle/<binaries>.
    const rel = join(work, `release-${arch}`);
    await cp(cachedLifecycleDir(VERSION, arch), join(rel, "lifecycle"), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !/(lifecycle\.toml|\.cnbkit-patches)$/.test(src),
    });
    await cp(join(cachedLifecycleDir(VERSION, arch), "lifecycle.toml"), join(rel, "lifecycle.toml"));
    const tgz = join(work, releaseAsset(VERSION, arch));
    // gzip -1: the test's tarballs need to be gzip'd, not small, and level 6 costs seconds.
    execFileSync("tar", ["-I", "gzip -1", "-cf", tgz, "-C", rel, "lifecycle.toml", "lifecycle"]);
    tarballs[releaseAsset(VERSION, arch)] = tgz;
    lines.push(
      `${createHash("sha256")
        .update(await readFile(tgz))
        .digest("hex")}  ${releaseAsset(VERSION, arch)}`,
    );
  }
  sums.good = `${lines.join("\n")}\n`;
  sums.bad = `${"0".repeat(64)}  ${releaseAsset(VERSION, "amd64")}\n${"0".repeat(64)}  ${releaseAsset(VERSION, "arm64")}\n`;
  server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    const m = /^\/([a-z]+)\/releases\/download\/v[^/]+\/(.+)$/.exec(decodeURIComponent(req.url ?? ""));
    const name = m?.[2] ?? "";
    const tgz = tarballs[name];
    if (tgz) {
      res.writeHead(200, { "content-type": "application/gzip" });
      return void createReadStream(tgz).pipe(res);
    }
    const text = name === `lifecycle-v${VERSION}-checksums.txt` ? sums[m?.[1] ?? ""] : undefined;
    if (text === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/plain" }).end(text);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  if (work) await rm(work, { recursive: true, force: true });
});

/** Makes the image from the release named `release` (good, bad) into `oci:<work>/<name>`. */
function make(release: string, name: string, extra: { caBundle?: string; onProgress?: (l: string) => void } = {}) {
  return createLifecycleImage({
    version: VERSION,
    output: `oci:${join(work, name)}:${VERSION}`,
    targets: ["linux/amd64", "linux/arm64"],
    env: {
      CNBKIT_CACHE: join(work, `cache-${release}`),
      CNBKIT_LIFECYCLE_MIRROR: `${base}/${release}/releases/download`,
    },
    releases: {},
    ...extra,
  });
}

const skopeo = (...args: string[]) => execFileSync("skopeo", args, { encoding: "utf8" });
const blob = (dir: string, digest: string) => join(dir, "blobs", "sha256", digest.replace("sha256:", ""));

describe("cnbkit lifecycle image", () => {
  test("makes buildpacksio/lifecycle's two-arch index: labels, WorkingDir, /cnb/lifecycle, reproducibly", async () => {
    const caBundle = join(work, "ca.pem");
    await writeFile(caBundle, await readFile("/etc/ssl/certs/ca-certificates.crt"));
    const said: string[] = [];
    const first = await make("good", "first", { caBundle, onProgress: (l) => said.push(l) });
    // The sum the release publishes is shown, without builder.toml's advice to pin it.
    const amd64Sum = sums.good!.split("\n")[0]!.split(" ")[0];
    expect(said).toContain(`  sha256 ${amd64Sum} (published beside the tarball)`);
    const dir = join(work, "first");
    const ref = `oci:${dir}:${VERSION}`;

    const index = JSON.parse(skopeo("inspect", "--raw", ref)) as {
      mediaType: string;
      manifests: { digest: string; platform: { os: string; architecture: string } }[];
    };
    expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`)).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
    expect(first.digest).toBe(
      `sha256:${createHash("sha256")
        .update(skopeo("inspect", "--raw", ref))
        .digest("hex")}`,
    );

    // lifecycle.toml of 0.21.17, as Go's json.Marshal writes its [apis] in tools/image/main.go.
    const apis =
      '{"buildpack":{"deprecated":[],"supported":["0.7","0.8","0.9","0.10","0.11","0.12"]},' +
      '"platform":{"deprecated":[],"supported":["0.7","0.8","0.9","0.10","0.11","0.12","0.13","0.14","0.15"]}}';
    for (const arch of ARCHES) {
      const config = JSON.parse(skopeo("--override-arch", arch, "inspect", "--config", ref)) as {
        os: string;
        architecture: string;
        config: { WorkingDir: string; Labels: Record<string, string>; Env: string[] };
      };
      expect(`${config.os}/${config.architecture}`).toBe(`linux/${arch}`);
      expect(config.config.WorkingDir).toBe("/layers");
      expect(config.config.Env).toContain("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
      const labels = config.config.Labels;
      expect(labels["io.buildpacks.lifecycle.version"]).toBe(VERSION);
      expect(labels["io.buildpacks.lifecycle.apis"]).toBe(apis);
      expect(labels["io.buildpacks.builder.metadata"]).toBe(
        `{"lifecycle":{"version":"${VERSION}"},"api":{"buildpack":"0.7","platform":"0.7"}}`,
      );
      const inspected = JSON.parse(skopeo("--override-arch", arch, "inspect", ref)) as { Layers: string[] };
      expect(inspected.Layers).toHaveLength(2);
    }

    // The amd64 image's layers: the base (passwd, group, tmp, the bundle as given), then /cnb.
    const amd64 = JSON.parse(skopeo("--override-arch", "amd64", "inspect", ref)) as { Layers: string[] };
    const [baseLayer, lifecycleLayer] = amd64.Layers as [string, string];
    const listing = (digest: string) => execFileSync("tar", ["-tvzf", blob(dir, digest)], { encoding: "utf8" });
    const baseList = listing(baseLayer);
    expect(baseList).toMatch(/^drwxrwxrwt 0\/0 .* tmp\/$/m);
    expect(baseList).toMatch(/^drwx------ 65532\/65532 .* home\/nonroot\/$/m);
    const rootfs = join(work, "rootfs");
    await mkdir(rootfs);
    execFileSync("tar", ["-xzf", blob(dir, baseLayer), "-C", rootfs]);
    execFileSync("tar", ["-xzf", blob(dir, lifecycleLayer), "-C", rootfs]);
    expect(await readFile(join(rootfs, "etc/passwd"), "utf8")).toContain("nonroot:x:65532:65532:");
    expect(await readFile(join(rootfs, "etc/group"), "utf8")).toMatch(/^root:x:0:$/m);
    expect(await readFile(join(rootfs, "etc/ssl/certs/ca-certificates.crt"))).toEqual(await readFile(caBundle));

    const cnb = listing(lifecycleLayer);
    expect(cnb.split("\n")[0]).toMatch(/^drwxr-xr-x 0\/0 .* cnb\/$/);
    expect(cnb).toMatch(/^-rwxr-xr-x 0\/0 .* 1980-01-01 00:00 cnb\/lifecycle\/lifecycle$/m);
    for (const phase of ["analyzer", "detector", "restorer", "builder", "exporter", "creator", "rebaser"]) {
      expect(cnb).toMatch(new RegExp(`^lrwxrwxrwx 0/0 .* cnb/lifecycle/${phase} -> lifecycle$`, "m"));
    }
    expect(cnb).toMatch(/^-rwxr-xr-x 0\/0 .* cnb\/lifecycle\/launcher$/m);
    // The release's top-level lifecycle.toml lands at /cnb/lifecycle.toml, as in the official image.
    expect(cnb).toMatch(/ cnb\/lifecycle\.toml$/m);
    expect(cnb).not.toContain("cnb/lifecycle/lifecycle.toml");
    const version = execFileSync(join(rootfs, "cnb/lifecycle/lifecycle"), ["-version"], { encoding: "utf8" });
    expect(version.trim()).toBe(VERSION);

    // Same inputs, same bytes: a second run, through the CLI (the tarballs now from the cache),
    // gives the same index, and says what it made.
    vi.stubEnv("CNBKIT_CACHE", join(work, "cache-good"));
    vi.stubEnv("CNBKIT_LIFECYCLE_MIRROR", `${base}/good/releases/download`);
    const out: string[] = [];
    const err: string[] = [];
    const second = `oci:${join(work, "second")}:${VERSION}`;
    const args = ["--version", VERSION, "--output", second, "--target", "linux/amd64", "--target", "linux/arm64"];
    const code = await main(["lifecycle", "image", ...args, "--ca-bundle", caBundle], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    vi.unstubAllEnvs();
    expect(code, err.join("\n")).toBe(0);
    expect(out[0]).toMatch(new RegExp(`^Made lifecycle ${VERSION} image for linux/amd64, linux/arm64 in [\\d.]+s$`));
    expect(out[1]).toBe(`  ${second} (${first.digest})`);
    expect(err).toContain("Making the lifecycle image for linux/arm64");
    expect(err).toContain(`Writing ${second}`);
    expect(await readFile(join(work, "second", "index.json"), "utf8")).toBe(
      await readFile(join(dir, "index.json"), "utf8"),
    );
  }, 120_000);

  test("a tarball that does not match the release's checksum fails in one line, writing nothing", async () => {
    const out = join(work, "bad");
    const err = await make("bad", "bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CnbError);
    const message = (err as CnbError).message;
    expect(message).toMatch(new RegExp(`^--version "${VERSION}": sha256 mismatch for ${base}/bad/releases/download/`));
    expect(message).not.toContain("\n");
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  test("bad input is one line before anything is fetched: no CA bundle, an unknown target, no --version", async () => {
    const before = requests.length;
    const noCa = await make("good", "no-ca", { caBundle: join(work, "missing.pem") }).catch((e: unknown) => e);
    expect((noCa as CnbError).message).toBe(`--ca-bundle ${join(work, "missing.pem")}: no such file`);
    const notPem = join(work, "not.pem");
    await writeFile(notPem, "hello\n");
    const noCert = await make("good", "no-cert", { caBundle: notPem }).catch((e: unknown) => e);
    expect((noCert as CnbError).message).toContain("holds no PEM certificate");
    const target = await createLifecycleImage({
      version: VERSION,
      output: `oci:${join(work, "s390x")}`,
      targets: ["linux/s390x"],
    }).catch((e: unknown) => e);
    expect((target as CnbError).message).toBe(
      '--target "linux/s390x": cnbkit makes lifecycle images for linux/amd64 and linux/arm64 only',
    );
    const version = await createLifecycleImage({ version: "latest", output: `oci:${join(work, "v")}` }).catch(
      (e: unknown) => e,
    );
    expect((version as CnbError).message).toBe('--version "latest" is not a lifecycle release version');
    // The CLI: one line and a hint on stderr, exit code 1; --help lists every option.
    const err: string[] = [];
    const code = await main(["lifecycle", "image", "--output", `oci:${join(work, "cli")}`], {
      out: () => {},
      err: (l) => err.push(l),
    });
    expect(code).not.toBe(0);
    expect(err.join("\n")).toBe("error: cnbkit lifecycle image: --version is required\n  e.g. --version 0.21.17");
    const help: string[] = [];
    await main(["lifecycle", "image", "--help"], { out: (l) => help.push(l), err: () => {} });
    for (const flag of ["--version", "--output", "--target", "--ca-bundle", "--insecure-registry"]) {
      expect(help.join("\n")).toContain(flag);
    }
    expect(requests).toHaveLength(before);
    for (const name of ["no-ca", "no-cert", "s390x", "v", "cli"])
      expect(existsSync(join(work, name)), name).toBe(false);
  });
});
