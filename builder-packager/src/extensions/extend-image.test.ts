/**
 * `base extend` on the real run image: apt-get from Debian's mirror inside runc, a CA made
 * here, a copied file, env and labels; skopeo reads the result, runc runs it as the CNB user,
 * and a second run gives the same digest. Bad input stops before anything is written.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTestCa, type TestCa } from "../../../test/support/test-ca.js";
import { ensureBaseImages, type ImageRef } from "../base/index.js";
import { extendImage } from "./extend-image.js";
import { EXTENDED_LABEL } from "./extend-record.js";
import { runContainer, unpackImage } from "../container/index.js";

const exec = promisify(execFile);
let work = "";
let run: ImageRef;
let caPem = "";
let testCa: TestCa | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-extend-test-"));
  ({ run } = await ensureBaseImages({ onProgress: () => {} }));
  // The CA a corporate network puts between the build and the internet, as a user hands it over.
  testCa = await makeTestCa("cnbkit test corp CA");
  await copyFile(testCa.caCert, join(work, "corp-ca.pem"));
  caPem = await readFile(join(work, "corp-ca.pem"), "utf8");
  await writeFile(join(work, "policy.json"), '{"allow": true}\n');
}, 3_600_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await testCa?.remove();
});

describe("bad input: one line, nothing written", () => {
  const output = () => `oci:${join(work, "never")}:run`;
  test.each([
    [{ apt: ["Bad Name"] }, /--apt "Bad Name" is not a Debian package name/],
    [{ caCerts: ["/nonexistent/ca.pem"] }, /--ca-cert \/nonexistent\/ca.pem: cannot read it \(ENOENT\)/],
    [{ copies: ["/nonexistent/file:/etc/x"] }, /--copy \/nonexistent\/file: no such file or directory/],
    [
      { copies: ["policy.json:relative/dest"] },
      /--copy "policy.json:relative\/dest" is not SRC:DEST with DEST an absolute path/,
    ],
    [{ env: ["1BAD=x"] }, /--env "1BAD=x" is not KEY=VALUE with KEY a variable name/],
    [{}, /base extend: nothing to add/],
  ])("%j", async (flags, message) => {
    await expect(extendImage({ image: run.ref, output: output(), ...flags })).rejects.toThrow(message);
    expect(existsSync(join(work, "never"))).toBe(false);
  });

  test("a file that is not a certificate", async () => {
    const bad = join(work, "not-a-cert.pem");
    await writeFile(bad, "hello\n");
    await expect(extendImage({ image: run.ref, output: output(), caCerts: [bad] })).rejects.toThrow(
      /no PEM certificate in it/,
    );
  });

  test("an apt package the mirror does not have: apt's own line, and no image", async () => {
    await expect(extendImage({ image: run.ref, output: output(), apt: ["cnbkit-no-such-package"] })).rejects.toThrow(
      /apt-get install failed in .*: E: Unable to locate package cnbkit-no-such-package/,
    );
    expect(existsSync(join(work, "never"))).toBe(false);
  }, 600_000);

  test("a certificate path that is a directory: cannot read it", async () => {
    await expect(extendImage({ image: run.ref, output: output(), caCerts: [work] })).rejects.toThrow(
      `--ca-cert ${work}: cannot read it (EISDIR)`,
    );
    expect(existsSync(join(work, "never"))).toBe(false);
  });

  test("an unreachable proxy: one line naming it, before any work, and no image", async () => {
    const saved = process.env.http_proxy;
    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    process.env.http_proxy = `http://127.0.0.1:${port}`;
    try {
      const lines: string[] = [];
      await expect(
        extendImage({ image: run.ref, output: output(), apt: ["jq"], onProgress: (l) => lines.push(l) }),
      ).rejects.toThrow(
        `cannot reach the proxy 127.0.0.1:${port} (HTTP_PROXY) for apt-get in base extend: ECONNREFUSED`,
      );
      expect(lines).toEqual([]); // nothing was unpacked
    } finally {
      if (saved === undefined) delete process.env.http_proxy;
      else process.env.http_proxy = saved;
    }
    expect(existsSync(join(work, "never"))).toBe(false);
  });

  test("a failed apt-get into an existing layout leaves it as it was", async () => {
    const layout = join(work, "existing");
    await exec("skopeo", ["copy", "--quiet", run.ref, `oci:${layout}:run`]);
    const index = await readFile(join(layout, "index.json"));
    const blobs = (await readdir(join(layout, "blobs/sha256"))).sort();
    await expect(
      extendImage({ image: run.ref, output: `oci:${layout}:run`, apt: ["cnbkit-no-such-package"] }),
    ).rejects.toThrow(/Unable to locate package cnbkit-no-such-package/);
    expect(await readFile(join(layout, "index.json"))).toEqual(index);
    expect((await readdir(join(layout, "blobs/sha256"))).sort()).toEqual(blobs);
  }, 600_000);
});

describe("extend the run image", () => {
  const flags = () => ({
    image: run.ref,
    apt: ["jq"],
    caCerts: [join(work, "corp-ca.pem")],
    env: ["CORP_REGION=eu-1"],
    labels: ["org.opencontainers.image.vendor=Corp"],
    copies: [`${join(work, "policy.json")}:/etc/corp/policy.json`],
  });
  let digest = "";

  test("one new layer and a new SBOM layer over the run image; labels, user and env kept; skopeo reads it", async () => {
    const lines: string[] = [];
    const result = await extendImage({
      ...flags(),
      output: `oci:${join(work, "ext")}:run`,
      onProgress: (l) => lines.push(l),
    });
    digest = result.digest;
    expect(lines.join("\n")).toMatch(/New layer: \d+ paths added or changed, \d+ deleted/);
    const { stdout } = await exec("skopeo", ["inspect", "--config", `oci:${join(work, "ext")}:run`]);
    const config = JSON.parse(stdout);
    const { stdout: before } = await exec("skopeo", ["inspect", "--config", run.ref]);
    const base = JSON.parse(before);
    expect(config.rootfs.diff_ids.slice(0, -2)).toEqual(base.rootfs.diff_ids);
    expect(config.rootfs.diff_ids).toHaveLength(base.rootfs.diff_ids.length + 2);
    expect(config.config.User).toBe("1000:1000");
    expect(config.config.Env).toEqual([...base.config.Env, "CORP_REGION=eu-1"]);
    const labels = config.config.Labels;
    for (const key of [
      "io.buildpacks.base.id",
      "io.buildpacks.base.distro.name",
      "io.buildpacks.base.distro.version",
    ]) {
      expect(labels[key]).toBe(base.config.Labels[key]);
    }
    expect(labels["org.opencontainers.image.vendor"]).toBe("Corp");
    expect(labels["io.buildpacks.base.sbom"]).toBe(config.rootfs.diff_ids.at(-1));
    // What the extended run image provides, jq's libraries among it, for a rebase onto it to read.
    const provides = JSON.parse(labels["io.cnbkit.base.abi"]);
    expect(Object.keys(provides.libraries)).toEqual(expect.arrayContaining(["libjq.so.1", "libssl.so.3"]));
    expect(provides.glibc).toBe(JSON.parse(base.config.Labels["io.cnbkit.base.abi"]).glibc);
    expect(JSON.parse(labels[EXTENDED_LABEL])).toEqual([
      {
        apt: ["jq"],
        caCerts: [
          { file: "corp-ca.pem", subject: "CN=cnbkit test corp CA", sha256: expect.stringMatching(/^[0-9A-F:]+$/) },
        ],
        copies: [{ dest: "/etc/corp/policy.json" }],
        env: ["CORP_REGION"],
        labels: ["org.opencontainers.image.vendor"],
      },
    ]);
    expect(result.packages).toBeGreaterThan(base.config.Labels ? 80 : 0);
  }, 900_000);

  test("the image runs jq as the CNB user, trusts the CA, has the copied file and no apt lists", async () => {
    const unpacked = await unpackImage(`oci:${join(work, "ext")}:run`);
    try {
      const out: string[] = [];
      const status = await runContainer({
        rootfs: unpacked.rootfs,
        args: [
          "/bin/sh",
          "-c",
          "id -u; jq -n '1+1'; cat /etc/corp/policy.json; ls /var/lib/apt/lists | grep -vx -e partial -e lock | wc -l",
        ],
        env: ["PATH=/usr/bin:/bin"],
        user: { uid: 1000, gid: 1000 },
        onStdout: (l) => out.push(l),
      });
      expect(status).toBe(0);
      expect(out).toEqual(["1000", "2", '{"allow": true}', "0"]);
      const bundle = await readFile(join(unpacked.rootfs, "etc/ssl/certs/ca-certificates.crt"), "utf8");
      expect(bundle).toContain(caPem.trim().split("\n").slice(1, 3).join("\n"));
    } finally {
      await unpacked.release();
    }
  }, 600_000);

  test("the same inputs again give the same digest", async () => {
    const again = await extendImage({ ...flags(), output: `oci:${join(work, "ext-again")}:run` });
    expect(again.digest).toBe(digest);
  }, 900_000);
});
