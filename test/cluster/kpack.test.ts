/**
 * kpack in the suite's one-node cluster (issue 56, item 3): kpack v0.17.2 built from its source,
 * its images written by cnbkit's oci stage and pushed to the loopback registry, installed from its
 * own config/ YAML with cnbkit's lifecycle image as the default ClusterLifecycle; then the "Build
 * with kpack" section of docs/kpack.md, run as it is: cnbkit's lifecycle image, buildpackages and
 * base images published, a ClusterLifecycle, ClusterStore, ClusterStack and ClusterBuilder, an
 * Image that builds python-hello from a git repository served by a pod in the cluster, the image
 * running in a pod and answering HTTP, and a new run image in the ClusterStack that kpack rebases
 * the app onto. Then the failure classes of issue 56 as the one line the status gives.
 *
 * Not in the default suite (vitest.config.ts excludes test/cluster/): `npm run test:cluster`.
 * The first run builds kpack (a Go build, cached under ~/.cache/cnbkit/kpack/v0.17.2/).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { LIFECYCLE_APIS_LABEL } from "../../builder-packager/src/lifecycle-image/index.js";
import { OciLayout } from "../../builder-packager/src/oci/index.js";
import { prepareLocalReferenceBuilder } from "../../tools/local-builder/local-node.js";
import { BASE_LAYOUT, bundleCli, E2E_DIR, freePort, runCli } from "../e2e/support.js";
import { clusterBlocks, type DocsBlock } from "./docs-blocks.js";
import { runCommands } from "./docs-commands.js";
import { gitRepository, gitServerPod } from "./git-server.js";
import type { GoBuild } from "./ko-images.js";
import { buildKpack, KPACK_COMMANDS, type KpackCommand, pushKpackImages, writeKpackImages } from "./kpack-images.js";
import { adaptToCluster, installKpack, KPACK_NAMESPACE, kpackManifests } from "./kpack-install.js";
import { conditionLine, kpackBuildLine, podWaitingLine } from "./kpack-status.js";
import { applyAll, pollFor } from "./manifests.js";
import { apply, appPod, type Cluster, clusterDown, clusterUp, kubectl, podImages, push } from "./support.js";

const HELLO = /^Hello from python-hello on CPython 3\.\d+\.\d+ with Flask 3\.1\.3, up \d+\.\d s\n$/;
const LIFECYCLE_VERSION = "0.21.17";
const LIFECYCLE_LABEL = "io.buildpacks.lifecycle.metadata";
/** The local buildpack dirs (python with its test inventory) of this file, beside the e2e ones. */
const KPACK_LOCAL = join(E2E_DIR, "kpack-local");

let work = "";
let cluster: Cluster | undefined;
let kpack: GoBuild | undefined;
let images: Record<KpackCommand, string> | undefined;
let cli: Awaited<ReturnType<typeof bundleCli>> | undefined;
let gitPort = 0;
let blocks: DocsBlock[] = [];
let cliEnv: Record<string, string> = {};

/**
 * A directory laid out like the lifecycle's GitHub releases (v<version>/<asset> and its .sha256),
 * holding the lifecycle this machine built from its Go module (scripts/setup.sh) laid out as the
 * release tarball is: `cnbkit lifecycle image` reads it through
 * CNBKIT_LIFECYCLE_MIRROR, GitHub being out of reach here.
 */
async function lifecycleMirror(dir: string): Promise<string> {
  const asset = `lifecycle-v${LIFECYCLE_VERSION}+linux.x86-64.tgz`;
  await mkdir(join(dir, `v${LIFECYCLE_VERSION}`), { recursive: true });
  const tgz = join(dir, `v${LIFECYCLE_VERSION}`, asset);
  const built = join(cnbkitCacheDir(), "lifecycle");
  // The release's layout: lifecycle.toml at the top, the binaries under lifecycle/.
  const tar = spawnSync(
    "tar",
    [
      ...["-czf", tgz, "-C", built, "--exclude=.cnbkit-patches", `--exclude=${LIFECYCLE_VERSION}/lifecycle.toml`],
      ...["--transform", `s,^${LIFECYCLE_VERSION},lifecycle,`, LIFECYCLE_VERSION],
      ...["-C", join(built, LIFECYCLE_VERSION), "lifecycle.toml"],
    ],
    { encoding: "utf8" },
  );
  if (tar.status !== 0) throw new Error(`tar of ${built}/${LIFECYCLE_VERSION}: ${tar.stderr}`);
  const sum = createHash("sha256")
    .update(await readFile(tgz))
    .digest("hex");
  await writeFile(`${tgz}.sha256`, `${sum}  ${asset}\n`);
  return dir;
}

function c(): Cluster {
  if (!cluster) throw new Error("the cluster is not up");
  return cluster;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-kpack-"));
  // The git server's pod runs as the build image's user (1000) and reads its repository under here.
  await chmod(work, 0o755);
  // What the reference builder's e2e variant is made of, without the builder: the base images in
  // BASE_LAYOUT, and the python buildpack with its test inventory (CPython made from Debian's
  // python3) as a buildpack dir, KPACK_LOCAL/python, that the docs' `cnbkit package` packages.
  await ensureBaseImages({ output: BASE_LAYOUT, onProgress: () => {} });
  await prepareLocalReferenceBuilder({ outDir: KPACK_LOCAL, baseLayout: BASE_LAYOUT, java: false });
  cli = await bundleCli();
  // `cnbkit lifecycle image` keeps a release's tarball and sum in its cache: a cache of this
  // file's own, so the stand-in release is not taken for GitHub's by later runs on this machine.
  cliEnv = {
    CNBKIT_LIFECYCLE_MIRROR: await lifecycleMirror(join(work, "lifecycle-mirror")),
    CNBKIT_CACHE: join(work, "lifecycle-cache"),
  };
  kpack = buildKpack();
  console.log(`[kpack] scripts/fetch-kpack.sh in ${kpack.ms} ms (${kpack.dir})`);
  cluster = await clusterUp(join(work, "state"));
  console.log(`[cluster] up in ${cluster.upMs} ms`);
  gitPort = await freePort();
  blocks = await clusterBlocks("kpack.md", "Build with kpack", {
    "registry.example.com": cluster.registry,
    "git.example.com": `127.0.0.1:${gitPort}`,
    "oci:.cnbkit/images/base:": `oci:${BASE_LAYOUT}:`,
    "buildpacks/python ": `${join(KPACK_LOCAL, "python")} `,
  });
}, 3_600_000);

afterAll(async () => {
  try {
    if (cluster) {
      clusterDown(cluster);
      expect(existsSync(cluster.stateDir)).toBe(false);
    }
  } finally {
    await cli?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  }
});

/** Runs the docs' sh block number `i` (of the kpack section): cnbkit, skopeo and kubectl lines. */
async function runShBlock(i: number): Promise<void> {
  const block = blocks.filter((b) => b.lang === "sh")[i];
  if (!block) throw new Error(`the kpack section has no sh block ${i}`);
  await runCommands(c(), block, {
    async cnbkit(args) {
      if (!cli) throw new Error("no CLI bundle");
      // Only `lifecycle image` gets the stand-in release and its own cache; the rest use the usual.
      const env = args[0] === "lifecycle" ? cliEnv : {};
      const r = await runCli(cli.path, args, undefined, { env });
      if (r.code !== 0) throw new Error(`cnbkit ${args.join(" ")} failed (${r.code}): ${r.stderr.slice(-3000)}`);
    },
  });
}

/** The docs' yaml block number `i` (of the kpack section), applied. */
function applyYamlBlock(i: number): void {
  const block = blocks.filter((b) => b.lang === "yaml")[i];
  if (!block) throw new Error(`the kpack section has no yaml block ${i}`);
  kubectl(c(), ["apply", "-f", "-"], block.text);
}

/** The Ready condition's status of a kpack resource, once it is True; throws with its one line when False. */
async function waitReady(kind: string, name: string, timeoutMs: number, ns?: string): Promise<void> {
  await pollFor(`${kind}/${name} Ready`, timeoutMs, (say) => {
    const line = conditionLine(c(), kind, name, ns);
    if (line.status === "True") return true;
    say(line.text);
    return undefined;
  });
}

/** An image's config as the suite reads it. */
interface ImageConfigJson {
  config: { Labels?: Record<string, string> };
  rootfs: { diff_ids: string[] };
}

/**
 * The manifest and config of image `ref` (`host:port/repo:tag` or `…@sha256:…`) in the loopback
 * registry, read over its HTTP API: skopeo refuses the manifests kpack's rebase writes (see the
 * rebase test), the registry and containerd do not.
 */
async function registryImage(ref: string): Promise<{
  digest: string;
  manifest: { mediaType: string; layers: { mediaType: string }[] };
  config: ImageConfigJson;
}> {
  const m = /^([^/]+)\/(.+?)(?:@(sha256:[0-9a-f]{64})|:([\w.-]+))$/.exec(ref);
  if (!m) throw new Error(`${ref}: not host/repo:tag or host/repo@digest`);
  const [, host, repo, digest, tag] = m;
  const accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${digest ?? tag}`, { headers: { accept } });
  if (!res.ok) throw new Error(`${ref}: manifest: HTTP ${res.status}`);
  const manifest = (await res.json()) as {
    mediaType: string;
    config: { digest: string };
    layers: { mediaType: string }[];
  };
  const blob = await fetch(`http://${host}/v2/${repo}/blobs/${manifest.config.digest}`);
  if (!blob.ok) throw new Error(`${ref}: config: HTTP ${blob.status}`);
  return {
    digest: res.headers.get("docker-content-digest") ?? "",
    manifest,
    config: (await blob.json()) as ImageConfigJson,
  };
}

/** The run image an app image names in its io.buildpacks.lifecycle.metadata label. */
async function runImageOf(ref: string): Promise<{ topLayer: string; reference: string }> {
  const label = (await registryImage(ref)).config.config.Labels?.[LIFECYCLE_LABEL];
  if (!label) throw new Error(`${ref} has no ${LIFECYCLE_LABEL} label`);
  return (JSON.parse(label) as { runImage: { topLayer: string; reference: string } }).runImage;
}

/** Polls Image `name` until its latest build is done; returns the build's name and whether it succeeded. */
async function waitForBuild(name: string, number: number, timeoutMs: number): Promise<string> {
  const build = `${name}-build-${number}`;
  await pollFor(`build ${build}`, timeoutMs, (say) => {
    const r = spawnSync(
      c().kubectl,
      [
        "--kubeconfig",
        c().kubeconfig,
        "get",
        "build",
        build,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="Succeeded")].status}',
      ],
      { encoding: "utf8" },
    );
    if (r.stdout === "True") return true;
    if (r.stdout === "False") throw new Error(kpackBuildLine(c(), build));
    say(r.status === 0 ? kpackBuildLine(c(), build) : r.stderr.trim());
    return undefined;
  });
  return build;
}

describe("kpack in the one-node cluster", () => {
  test("its images, written by cnbkit from binaries built from kpack's source, are in the registry", async () => {
    if (!kpack) throw new Error("kpack was not built");
    const t0 = Date.now();
    const layout = join(work, "kpack-images");
    await writeKpackImages(kpack, layout);
    images = await pushKpackImages(c(), layout);
    console.log(`[kpack] ${KPACK_COMMANDS.length} images written and pushed in ${Date.now() - t0} ms`);
    for (const name of KPACK_COMMANDS) expect(images[name]).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  test("the docs' lifecycle image, buildpackages and base images are published", async () => {
    const t0 = Date.now();
    await runShBlock(0);
    console.log(`[kpack] lifecycle image, three buildpackages and two base images published in ${Date.now() - t0} ms`);
    const lifecycle = await registryImage(`${c().registry}/acme/lifecycle:${LIFECYCLE_VERSION}`);
    expect(lifecycle.config.config.Labels?.["io.buildpacks.lifecycle.version"]).toBe(LIFECYCLE_VERSION);
  }, 900_000);

  test("it installs from its own config/, cnbkit's lifecycle image its default ClusterLifecycle", async () => {
    if (!kpack || !images) throw new Error("no kpack images");
    const lifecycle = `${c().registry}/acme/lifecycle:${LIFECYCLE_VERSION}`;
    const config = await kpackManifests(c(), join(kpack.dir, "config"), work, images, lifecycle);
    await adaptToCluster(c(), config);
    const t = await installKpack(c(), config);
    console.log(
      `[kpack] controller and webhook Available in ${t.availableMs} ms; webhook answering ${t.webhookMs} ms later`,
    );
    const running = podImages(c(), KPACK_NAMESPACE);
    expect(running).toContain(images.controller);
    expect(running).toContain(images.webhook);
    await waitReady("clusterlifecycle", "default-lifecycle", 120_000);
    expect(kubectl(c(), ["get", "clusterlifecycle", "default-lifecycle", "-o", "jsonpath={.status.version}"])).toBe(
      LIFECYCLE_VERSION,
    );
  }, 600_000);

  test("the docs' ClusterLifecycle, ClusterStore, ClusterStack and ClusterBuilder: the builder is Ready", async () => {
    const t0 = Date.now();
    applyYamlBlock(0);
    await waitReady("clusterbuilder", "acme", 600_000);
    console.log(`[kpack] ClusterBuilder acme Ready in ${Date.now() - t0} ms`);
    const order = kubectl(c(), ["get", "clusterbuilder", "acme", "-o", "jsonpath={.status.order[0].group[*].id}"]);
    expect(order.split(" ")).toEqual([
      "cnbkit/ca-certificates",
      "cnbkit/python",
      "cnbkit/procfile",
      "cnbkit/node-runtime",
    ]);
    expect(kubectl(c(), ["get", "clusterbuilder", "acme", "-o", "jsonpath={.status.lifecycle.version}"])).toBe(
      LIFECYCLE_VERSION,
    );
  }, 900_000);

  test("an Image builds python-hello from a git repository served in the cluster; it runs and answers HTTP", async () => {
    const repos = await gitRepository(work, "python-hello");
    apply(c(), gitServerPod(`${c().registry}/acme/build:trixie`, repos, gitPort));
    kubectl(c(), ["wait", "--for=condition=Ready", "pod/git-server", "--timeout=300s"]);
    await runShBlock(1); // the CA binding's Secret
    const t0 = Date.now();
    applyYamlBlock(1);
    const build = await waitForBuild("python-hello", 1, 1_200_000);
    console.log(`[kpack] python-hello build 1 (source, builder pull, build, push) in ${Date.now() - t0} ms`);
    await waitReady("image", "python-hello", 120_000, "default");
    const latest = kubectl(c(), ["get", "image", "python-hello", "-o", "jsonpath={.status.latestImage}"]);
    expect(latest).toMatch(new RegExp(`^${c().registry}/apps/python-hello@sha256:[0-9a-f]{64}$`));
    expect(
      kubectl(c(), ["get", "build", build, "-o", "jsonpath={.metadata.annotations.image\\.kpack\\.io/reason}"]),
    ).toBe("CONFIG");

    const port = await freePort();
    apply(c(), appPod("python-hello", latest, port, true));
    kubectl(c(), ["wait", "--for=condition=Ready", "pod/python-hello", "--timeout=300s"]);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(HELLO);
  }, 1_800_000);

  test("a new run image in the ClusterStack: kpack rebases python-hello onto it", async () => {
    const before = kubectl(c(), ["get", "image", "python-hello", "-o", "jsonpath={.status.latestImage}"]);
    const t0 = Date.now();
    await runShBlock(2); // cnbkit base extend, then the ClusterStack patched
    const build = await waitForBuild("python-hello", 2, 600_000);
    console.log(`[kpack] rebase (new run image to rebased app image) in ${Date.now() - t0} ms`);
    expect(
      kubectl(c(), ["get", "build", build, "-o", "jsonpath={.metadata.annotations.image\\.kpack\\.io/reason}"]),
    ).toBe("STACK");
    // A rebase pod: kpack's rebase command, no lifecycle phases.
    const pod = kubectl(c(), ["get", "build", build, "-o", "jsonpath={.status.podName}"]);
    const containers = kubectl(c(), ["get", "pod", pod, "-o", "jsonpath={.spec.initContainers[*].name}"]);
    expect(containers.split(" ")).toContain("rebase");
    await waitReady("image", "python-hello", 120_000, "default");
    const after = kubectl(c(), ["get", "image", "python-hello", "-o", "jsonpath={.status.latestImage}"]);
    expect(after).not.toBe(before);

    const newRun = await registryImage(`${c().registry}/acme/run:trixie-1`);
    const oldRun = await registryImage(`${c().registry}/acme/run:trixie`);
    const top = (i: { config: ImageConfigJson }) => i.config.rootfs.diff_ids.at(-1);
    expect(top(newRun)).not.toBe(top(oldRun));
    expect((await runImageOf(before)).topLayer).toBe(top(oldRun));
    expect((await runImageOf(after)).topLayer).toBe(top(newRun));
    // kpack names the run image by digest in the builder's repository (where it copied it).
    expect((await runImageOf(before)).reference).toBe(`${c().registry}/acme/kpack-builder@${oldRun.digest}`);
    expect((await runImageOf(after)).reference).toBe(`${c().registry}/acme/kpack-builder@${newRun.digest}`);
    // The app's own layers are the same: only the run image's part changed.
    const appLayers = async (ref: string, runLayers: number) =>
      (await registryImage(ref)).config.rootfs.diff_ids.slice(runLayers);
    expect(await appLayers(after, newRun.config.rootfs.diff_ids.length)).toEqual(
      await appLayers(before, oldRun.config.rootfs.diff_ids.length),
    );

    // kpack's rebase keeps the app's Docker v2 manifest and copies the new run image's OCI layer
    // descriptors into it as they are: a mixed manifest, which skopeo (containers/image) refuses
    // and containerd pulls and runs.
    const rebased = await registryImage(after);
    expect(rebased.manifest.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(rebased.manifest.layers[0]?.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    const skopeo = spawnSync("skopeo", ["inspect", "--tls-verify=false", `docker://${after}`], { encoding: "utf8" });
    expect(skopeo.stderr).toContain(
      'unsupported docker v2s2 media type: \\"application/vnd.oci.image.layer.v1.tar+gzip\\"',
    );
    const port = await freePort();
    apply(c(), appPod("python-hello-rebased", after, port, true));
    kubectl(c(), ["wait", "--for=condition=Ready", "pod/python-hello-rebased", "--timeout=300s"]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toMatch(HELLO);
  }, 900_000);
});

/**
 * cnbkit's lifecycle image with its io.buildpacks.lifecycle.apis label claiming Platform API 0.15
 * alone (a lifecycle newer than kpack knows), pushed to `<registry>/acme/lifecycle:platform-0.15`.
 */
async function futureLifecycle(): Promise<string> {
  if (!cli) throw new Error("no CLI bundle");
  const dir = join(work, "future-lifecycle");
  const made = await runCli(
    cli.path,
    [
      "lifecycle",
      "image",
      "--version",
      LIFECYCLE_VERSION,
      "--target",
      "linux/amd64",
      "--output",
      `oci:${dir}:${LIFECYCLE_VERSION}`,
    ],
    undefined,
    { env: cliEnv },
  );
  if (made.code !== 0) throw new Error(`cnbkit lifecycle image failed: ${made.stderr}`);
  const layout = await OciLayout.open(dir);
  const m = await layout.resolve(LIFECYCLE_VERSION);
  if (m.kind !== "manifest") throw new Error("a one-target lifecycle image is a manifest");
  const config = await layout.readConfig(m.manifest.config.digest);
  const labels = config.config?.Labels ?? {};
  const apis = JSON.parse(labels[LIFECYCLE_APIS_LABEL] ?? "{}") as { platform: { supported: string[] } };
  apis.platform = { ...apis.platform, supported: ["0.15"] };
  const changed = {
    ...config,
    config: { ...config.config, Labels: { ...labels, [LIFECYCLE_APIS_LABEL]: JSON.stringify(apis) } },
  };
  await layout.writeImage({ config: changed, layers: m.manifest.layers, tag: "platform-0.15" });
  return push(c(), `oci:${dir}:platform-0.15`, "acme/lifecycle:platform-0.15");
}

describe("kpack's failures, each as one line from the Kubernetes status", () => {
  test("a builder whose lifecycle supports no platform API kpack does", async () => {
    const image = await futureLifecycle();
    // kpack takes the lifecycle itself; it is the builder made with it that it refuses.
    apply(c(), {
      apiVersion: "kpack.io/v1alpha2",
      kind: "ClusterLifecycle",
      metadata: { name: "future" },
      spec: { image },
    });
    await waitReady("clusterlifecycle", "future", 120_000);
    applyAll(c(), [
      {
        apiVersion: "kpack.io/v1alpha2",
        kind: "ClusterBuilder",
        metadata: { name: "future" },
        spec: {
          tag: `${c().registry}/acme/kpack-builder-future`,
          serviceAccountRef: { name: "default", namespace: "default" },
          lifecycle: { kind: "ClusterLifecycle", name: "future" },
          stack: { kind: "ClusterStack", name: "acme-trixie" },
          store: { kind: "ClusterStore", name: "acme" },
          order: [{ group: [{ id: "cnbkit/python" }, { id: "cnbkit/node-runtime", optional: true }] }],
        },
      },
    ]);
    const line = await pollFor("clusterbuilder/future Ready=False", 180_000, (say) => {
      const l = conditionLine(c(), "clusterbuilder", "future");
      say(l.text);
      return l.status === "False" && l.text.includes("ReconcileFailed") ? l.text : undefined;
    });
    console.log(`[kpack] ${line}`);
    expect(line).toMatch(
      /^clusterbuilder\/future: UpToDate=False ReconcileFailed: unsupported platform apis in kpack lifecycle: 0\.15, expecting one of: 0\.3, 0\.4, 0\.5, 0\.6, 0\.7, 0\.8$/,
    );
  }, 300_000);

  test("a missing secret: an Image whose CA binding names a Secret that is not there", async () => {
    applyAll(c(), [
      {
        apiVersion: "kpack.io/v1alpha2",
        kind: "Image",
        metadata: { name: "missing-secret", namespace: "default" },
        spec: {
          tag: `${c().registry}/apps/missing-secret`,
          builder: { kind: "ClusterBuilder", name: "acme" },
          source: { git: { url: `git://127.0.0.1:${gitPort}/python-hello.git`, revision: "main" } },
          build: { services: [{ name: "no-such-ca", kind: "Secret", apiVersion: "v1" }] },
        },
      },
    ]);
    const line = await pollFor("the missing secret's line", 300_000, (say) => {
      const l = kpackBuildLine(c(), "missing-secret-build-1");
      say(l);
      // Both halves settled: kpack's condition on the build, the kubelet's event on its pod.
      return l.includes("Succeeded=") && l.includes("not found") ? l : undefined;
    });
    console.log(`[kpack] ${line}`);
    expect(line).toMatch(
      /^build\/missing-secret-build-1: Succeeded=Unknown[^;]*; pod\/missing-secret-build-1-build-pod: FailedMount: MountVolume\.SetUp failed for volume "binding-no-such-ca" : secret "no-such-ca" not found$/,
    );
  }, 400_000);

  test("an image the kubelet can't pull", async () => {
    const missing = `${c().registry}/apps/python-hello:no-such-tag`;
    apply(c(), appPod("no-such-image", missing, await freePort(), true));
    const line = await pollFor("the pull failure's line", 180_000, (say) => {
      const l = podWaitingLine(c(), "no-such-image");
      say(l);
      return /(ErrImagePull|ImagePullBackOff): .*not found/.test(l) ? l : undefined;
    });
    console.log(`[kpack] ${line}`);
    expect(line).toMatch(
      new RegExp(
        `^pod/no-such-image: web: (ErrImagePull|ImagePullBackOff): .*${missing.replaceAll(".", "\\.")}.*not found`,
      ),
    );
  }, 300_000);
});
