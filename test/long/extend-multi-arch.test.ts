/**
 * `base extend` on a multi-arch run image (amd64 and arm64 behind one index, as
 * `base create --target ... --target ...` makes): each arch is extended, arm64's
 * update-ca-certificates under qemu, and the result is an index again, which skopeo reads
 * per arch and whose arm64 image runs (emulated) with the CA trusted.
 *
 * In the long suite (`npm run test:long`): ~80 s under qemu, and CI's test/e2e/multi-arch
 * already runs an arm64 image under qemu; extend-image's per-arch walk is unit-tested beside it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { makeTestCa, type TestCa } from "../support/test-ca.js";
import { ensureMultiArchBaseImages } from "../../builder-packager/src/base/index.js";
import { EXTENDED_LABEL, extendImage } from "../../builder-packager/src/extensions/index.js";
import { runContainer, unpackImage } from "../../builder-packager/src/container/index.js";

const exec = promisify(execFile);
let work = "";
let ca: TestCa | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-extend-multi-"));
  ca = await makeTestCa("cnbkit test corp CA");
  await writeFile(join(work, "corp.conf"), "proxy=http://proxy.corp:3128\n");
}, 600_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await ca?.remove();
});

test("a multi-arch run image is extended per arch into an index; arm64's image runs under qemu and trusts the CA", async () => {
  // The same slim images multi-arch.test.ts and the arm64 e2e tests use (cached).
  const { run } = await ensureMultiArchBaseImages({
    arches: ["amd64", "arm64"],
    output: join(work, "base"),
    flavor: "slim",
    onProgress: () => {},
  });
  const out = `oci:${join(work, "ext")}:run`;
  const result = await extendImage({
    image: run.ref,
    output: out,
    caCerts: [ca!.caCert],
    copies: [`${join(work, "corp.conf")}:/etc/corp/corp.conf`],
    labels: ["com.example.team=platform"],
  });
  expect(result.platforms?.map((p) => p.platform.architecture)).toEqual(["amd64", "arm64"]);

  // skopeo reads an index of the two arches, each a child the result names.
  const { stdout: raw } = await exec("skopeo", ["inspect", "--raw", out]);
  const index = JSON.parse(raw);
  expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
  expect(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual([
    "amd64",
    "arm64",
  ]);
  expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual(result.platforms!.map((p) => p.digest));
  for (const [i, arch] of ["amd64", "arm64"].entries()) {
    const { stdout } = await exec("skopeo", ["inspect", "--override-arch", arch, "--config", out]);
    const config = JSON.parse(stdout);
    const { stdout: baseOut } = await exec("skopeo", ["inspect", "--override-arch", arch, "--config", run.ref]);
    const base = JSON.parse(baseOut);
    expect(config.architecture).toBe(arch);
    // Each arch keeps its own base layers and gets its own change and SBOM layers.
    expect(config.rootfs.diff_ids.slice(0, base.rootfs.diff_ids.length)).toEqual(base.rootfs.diff_ids);
    expect(config.rootfs.diff_ids).toHaveLength(base.rootfs.diff_ids.length + 2);
    expect(config.config.Labels["com.example.team"]).toBe("platform");
    expect(JSON.parse(config.config.Labels[EXTENDED_LABEL]).at(-1).caCerts[0].subject).toBe("CN=cnbkit test corp CA");
    expect(config.config.User).toBe(base.config.User);
    expect(result.platforms![i]!.platform.architecture).toBe(arch);
  }

  // The arm64 image, run (emulated) as its CNB user: an aarch64 machine with the copy and the CA.
  const unpacked = await unpackImage(out, { platform: { os: "linux", architecture: "arm64" } });
  try {
    const lines: string[] = [];
    const code = await runContainer({
      rootfs: unpacked.rootfs,
      args: ["sh", "-c", "uname -m; cat /etc/corp/corp.conf; cat /etc/ssl/certs/ca-certificates.crt"],
      env: ["PATH=/usr/bin:/bin"],
      user: { uid: 1000, gid: 1000 },
      onStdout: (l) => lines.push(l),
    });
    expect(code).toBe(0);
    expect(lines[0]).toBe("aarch64");
    expect(lines[1]).toBe("proxy=http://proxy.corp:3128");
    const pem = (await readFile(ca!.caCert, "utf8")).trim().split("\n");
    expect(lines.join("\n")).toContain(pem.slice(1, 3).join("\n"));
  } finally {
    await unpacked.release();
  }
}, 1_800_000);
