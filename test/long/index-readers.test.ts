/**
 * What outside tools read of a two-platform cnbkit app index (issue 57 item 2): node-hello
 * built for linux/amd64 and linux/arm64 into one OCI image index in a loopback registry (the
 * library's `buildPlatforms`, as `cnbkit build --platform linux/amd64,linux/arm64 --output
 * <ref>` runs it), then read by
 * - Docker: Debian's docker.io (20.10) on a daemon this file starts and stops
 *   (test/support/dockerd.ts): `docker pull` of the tag, with and without `--platform
 *   linux/arm64`, `docker run` of each (arm64 under the qemu cnbkit registered for its build),
 *   and `docker manifest inspect`;
 * - pack v0.40.6: `pack inspect` with no daemon (its remote half, as test/pack-interop runs it)
 *   and through the daemon above (its local half);
 * - skopeo, with and without `--override-arch` (test/e2e/multi-arch.test.ts reads each arch of
 *   the layout index with `--override-arch` already; here the choice with no flag is the point).
 * Each answer is compared with the platform image cnbkit wrote (its config digest, labels, run
 * image top layer).
 *
 * In the long suite (`npm run test:long`): test:all's multi-arch e2e already proves the index
 * and both images; this adds a daemon and three tools. The builder is the multi-arch local
 * reference builder (test/e2e/multi-arch-java-builder.ts), made again only when its inputs change.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Digest, openImageSource, type Platform } from "../../builder-packager/src/oci/index.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { skopeoConfig } from "../../builder-packager/src/package/test-fixtures.js";
import { buildPlatforms } from "../../builder-packager/src/platform/index.js";
import { multiArchJavaBuilder } from "../e2e/multi-arch-java-builder.js";
import { caBindings, fixtureApp, freePort, ROOT } from "../e2e/support.js";
import { hasDockerd, startDockerd, type TestDockerd } from "../support/dockerd.js";
import { ensurePack, packEnv, runPack } from "../support/pack.js";

const AMD64: Platform = { os: "linux", architecture: "amd64" };
const ARM64: Platform = { os: "linux", architecture: "arm64" };
const HELLO = /^200 Hello from node-hello on Node v24\.21\.0, up \d+ (ms|seconds?)\n$/;
const LIFECYCLE_LABEL = "io.buildpacks.lifecycle.metadata";
const BUILD_LABEL = "io.buildpacks.build.metadata";

/** What cnbkit wrote for one platform, read back from the registry. */
interface Written {
  manifest: Digest;
  config: Digest;
  labels: Record<string, string>;
  diffIds: string[];
  /** The run image's top layer, from the lifecycle metadata (pack's "Top Layer"). */
  topLayer: string;
}

let registry: TestRegistry | undefined;
let dockerd: TestDockerd | undefined;
let work = "";
let app = "";
let ref = "";
let index: Digest;
const written = new Map<string, Written>();

beforeAll(async () => {
  if (!hasDockerd()) throw new Error("dockerd is missing: run scripts/setup.sh --tests (it installs docker.io)");
  ensurePack();
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), "cnbkit-index-readers-"));
  app = await fixtureApp("node-hello-readers", {}, join(ROOT, "examples/apps/node-hello"));
  ref = `${registry.host}/acme/readers:1`;
  const t0 = Date.now();
  const built = await buildPlatforms(
    {
      appDir: app,
      builder: await multiArchJavaBuilder(),
      bindings: await caBindings(),
      output: ref,
      cacheDir: join(work, "cache"),
    },
    [AMD64, ARM64],
  );
  console.log(`node-hello for linux/amd64 + linux/arm64 into ${ref}: ${Date.now() - t0} ms`);
  index = built.digest;
  const source = await openImageSource(ref);
  for (const p of [AMD64, ARM64]) {
    const image = await source.image(p);
    const labels = image.config.config?.Labels ?? {};
    written.set(p.architecture, {
      manifest: image.manifest.digest,
      config: image.manifest.manifest.config.digest,
      labels,
      diffIds: image.config.rootfs.diff_ids,
      topLayer: JSON.parse(labels[LIFECYCLE_LABEL] ?? "{}").runImage?.topLayer,
    });
  }
  // What buildPlatforms says it wrote is what the registry holds, one manifest per platform.
  expect(built.images.map((i) => i.digest)).toEqual([written.get("amd64")!.manifest, written.get("arm64")!.manifest]);
  const t1 = Date.now();
  dockerd = await startDockerd();
  console.log(`dockerd up (pid ${dockerd.pids.dockerd}, containerd ${dockerd.pids.containerd}): ${Date.now() - t1} ms`);
}, 1_800_000);

afterAll(async () => {
  await dockerd?.stop();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

function wrote(arch: "amd64" | "arm64"): Written {
  const w = written.get(arch);
  if (!w) throw new Error(`no ${arch} image was read back`);
  return w;
}

async function docker(args: string[]) {
  const r = await dockerd!.docker(args);
  if (r.code !== 0) console.log(`docker ${args.join(" ")}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

/** `docker image inspect` of the tag: the image the daemon holds under it now. */
async function inspectTag(): Promise<{
  Id: string;
  Architecture: string;
  Variant?: string;
  Os: string;
  RepoDigests: string[];
  Config: { Labels: Record<string, string> };
}> {
  const r = await docker(["image", "inspect", ref]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout)[0];
}

/**
 * `docker run --network host` of the tag (`--platform` when given) with PORT and HOST=127.0.0.1,
 * GET / once it listens, the container removed after; the status and body.
 */
async function getFromContainer(platform?: string): Promise<string> {
  const port = await freePort();
  const name = `readers-${port}`;
  const run = await docker([
    "run",
    "-d",
    "--name",
    name,
    "--network",
    "host",
    ...(platform ? ["--platform", platform] : []),
    "-e",
    `PORT=${port}`,
    "-e",
    "HOST=127.0.0.1",
    ref,
  ]);
  expect(run.code).toBe(0);
  try {
    // 180 s: an emulated npm start on a loaded 2-core machine (getFromImage's margin).
    const deadline = Date.now() + 180_000;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return `${res.status} ${await res.text()}`;
      } catch (err) {
        const state = (await docker(["inspect", "-f", "{{.State.Status}}", name])).stdout.trim();
        if (state !== "running" || Date.now() > deadline) {
          const logs = await docker(["logs", name]);
          throw new Error(`${name} is ${state}, no answer on ${port} (${err}):\n${logs.stdout}${logs.stderr}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await docker(["rm", "-f", name]);
  }
}

/** The config labels that make it a CNB app image, as cnbkit wrote them for `arch`. */
function cnbLabels(arch: "amd64" | "arm64") {
  const { labels } = wrote(arch);
  return { [LIFECYCLE_LABEL]: labels[LIFECYCLE_LABEL], [BUILD_LABEL]: labels[BUILD_LABEL] };
}

describe.sequential("a two-platform cnbkit app index in a registry, read by other tools", () => {
  test("docker pull of the tag takes linux/amd64: cnbkit's amd64 image, CNB labels and all; docker run answers", async () => {
    const t0 = Date.now();
    expect((await docker(["pull", "-q", ref])).code).toBe(0);
    console.log(`docker pull (linux/amd64, cold): ${Date.now() - t0} ms`);
    const image = await inspectTag();
    expect([image.Os, image.Architecture]).toEqual(["linux", "amd64"]);
    // Docker's image ID is the config's digest: the very config cnbkit wrote for amd64.
    expect(image.Id).toBe(wrote("amd64").config);
    expect(image.Config.Labels[LIFECYCLE_LABEL]).toBeTruthy();
    expect(image.Config.Labels[BUILD_LABEL]).toBeTruthy();
    expect({
      [LIFECYCLE_LABEL]: image.Config.Labels[LIFECYCLE_LABEL],
      [BUILD_LABEL]: image.Config.Labels[BUILD_LABEL],
    }).toEqual(cnbLabels("amd64"));
    // It names what it pulled by the index's digest, the tag's.
    expect(image.RepoDigests).toContain(`${registry!.host}/acme/readers@${index}`);
    const t1 = Date.now();
    expect(await getFromContainer()).toMatch(HELLO);
    console.log(`docker run (linux/amd64) to its first answer: ${Date.now() - t1} ms`);
  }, 600_000);

  test("docker pull --platform linux/arm64 takes cnbkit's arm64 image; docker run --platform linux/arm64 answers under qemu", async () => {
    const t0 = Date.now();
    expect((await docker(["pull", "-q", "--platform", "linux/arm64", ref])).code).toBe(0);
    console.log(`docker pull --platform linux/arm64: ${Date.now() - t0} ms`);
    const image = await inspectTag();
    expect([image.Os, image.Architecture, image.Variant]).toEqual(["linux", "arm64", "v8"]);
    expect(image.Id).toBe(wrote("arm64").config);
    expect(image.Id).not.toBe(wrote("amd64").config);
    expect({
      [LIFECYCLE_LABEL]: image.Config.Labels[LIFECYCLE_LABEL],
      [BUILD_LABEL]: image.Config.Labels[BUILD_LABEL],
    }).toEqual(cnbLabels("arm64"));
    // The container's arm64 binaries run through the qemu handler cnbkit registered for the
    // arm64 build. F (fix binary): the kernel opened qemu at registration, so it runs inside a
    // container whose root filesystem has no qemu.
    const handler = await readFile("/proc/sys/fs/binfmt_misc/qemu-aarch64", "utf8");
    expect(handler).toMatch(/^enabled$/m);
    expect(handler).toMatch(/^flags: \w*F\w*$/m);
    const t1 = Date.now();
    expect(await getFromContainer("linux/arm64")).toMatch(HELLO);
    console.log(`docker run --platform linux/arm64 (qemu) to its first answer: ${Date.now() - t1} ms`);
  }, 600_000);

  test("docker manifest inspect: Debian 12's docker 20.10 cannot read an index of OCI manifests (docker/cli#3990, in 23.0); newer ones list both platforms", async () => {
    const version = (await docker(["version", "--format", "{{.Client.Version}}"])).stdout.trim();
    const r = await dockerd!.docker(["manifest", "inspect", "--insecure", ref]);
    if (Number(version.split(".")[0]) < 23) {
      // It gets the index, then asks for each OCI manifest without accepting OCI manifests,
      // which the registry refuses (a 404: "OCI manifest found, but accept header does not
      // support OCI manifests"). Not cnbkit's: docker pull reads the same index above.
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr.trim()).toBe(`no such manifest: ${ref}`);
    } else {
      expect(r.code, r.stderr).toBe(0);
      const listed = JSON.parse(r.stdout);
      expect(listed.manifests.map((m: { digest: string }) => m.digest)).toEqual([
        wrote("amd64").manifest,
        wrote("arm64").manifest,
      ]);
    }
    console.log(`docker manifest inspect with docker ${version}: exit ${r.code} ${r.stderr.trim()}`);
  });

  test("pack inspect reads the platform it was built for (linux/amd64), with no flag for another; through a daemon, the one docker pulled", async () => {
    // No daemon: pack's remote half, from the registry. pack 0.40.6's `inspect` has no
    // --platform (only build takes one) and asks imgutil for linux/<its GOARCH>.
    const noDaemon = await runPack(["inspect", ref], await packEnv(join(work, "pack")));
    const remote = noDaemon.stdout.slice(noDaemon.stdout.indexOf("REMOTE:"), noDaemon.stdout.indexOf("LOCAL:"));
    expect(remote).toContain(`Top Layer: ${wrote("amd64").topLayer}`);
    expect(wrote("amd64").topLayer).not.toBe(wrote("arm64").topLayer);
    const runImage = JSON.parse(wrote("amd64").labels[LIFECYCLE_LABEL]!).runImage.image as string;
    expect(remote).toMatch(new RegExp(`Run Images:\\s+${runImage.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`));
    const build = JSON.parse(wrote("amd64").labels[BUILD_LABEL]!) as { buildpacks: { id: string; version: string }[] };
    expect(build.buildpacks.map((b) => b.id)).toEqual(["cnbkit/ca-certificates", "cnbkit/nodejs"]);
    for (const bp of build.buildpacks) expect(remote).toMatch(new RegExp(`^\\s+${bp.id}\\s+${bp.version}\\s`, "m"));
    expect(remote).toMatch(/^\s+web \(default\)\s+npm\s+start\s+\/workspace\s*$/m);
    // Its local half needs a daemon: with this file's, pack reads the image docker holds under
    // the tag, which `docker pull --platform linux/arm64` makes the arm64 one.
    expect((await docker(["pull", "-q", "--platform", "linux/arm64", ref])).code).toBe(0);
    const viaDaemon = await runPack(
      ["inspect", ref, "--output", "json"],
      await packEnv(join(work, "pack-daemon"), dockerd!.host),
    );
    expect(viaDaemon.code, viaDaemon.stderr).toBe(0);
    const json = JSON.parse(viaDaemon.stdout);
    expect(json.remote_info.base_image.top_layer).toBe(wrote("amd64").topLayer);
    expect(json.local_info.base_image.top_layer).toBe(wrote("arm64").topLayer);
    for (const info of [json.remote_info, json.local_info]) {
      expect(info.buildpacks.map((b: { id: string }) => b.id)).toEqual(["cnbkit/ca-certificates", "cnbkit/nodejs"]);
      expect(info.processes).toEqual([
        { type: "web", shell: "", command: "npm", default: true, args: ["start"], "working-dir": "/workspace" },
      ]);
    }
  }, 300_000);

  test("skopeo reads linux/amd64 with no flag and linux/arm64 with --override-arch arm64, each cnbkit's config", async () => {
    const tls = ["--tls-verify=false"];
    const byDefault = await skopeoConfig(`docker://${ref}`, tls);
    const arm64 = await skopeoConfig(`docker://${ref}`, [...tls, "--override-arch", "arm64"]);
    const amd64 = await skopeoConfig(`docker://${ref}`, [...tls, "--override-arch", "amd64"]);
    const seen = (c: Awaited<ReturnType<typeof skopeoConfig>>) => ({
      architecture: c.architecture,
      diffIds: c.rootfs.diff_ids,
      labels: c.config.Labels,
    });
    const expected = (arch: "amd64" | "arm64") => ({
      architecture: arch,
      diffIds: wrote(arch).diffIds,
      labels: wrote(arch).labels,
    });
    expect(seen(byDefault)).toEqual(expected("amd64"));
    expect(seen(amd64)).toEqual(expected("amd64"));
    expect(seen(arm64)).toEqual(expected("arm64"));
  });
});
