/**
 * Tekton in the suite's one-node cluster (issue 56, items 2 and 7): Tekton Pipelines v1.6.0 built
 * from its Go module, its images written by cnbkit's oci stage and pushed to the loopback
 * registry, installed from its own config/ YAML; then the "Build with Tekton" section of
 * docs/tekton.md as it is: its two Tasks and its Pipeline applied, its ConfigMap and
 * Secret made by its kubectl lines, and its PipelineRun, which clones node-hello from a git
 * repository served by a pod in the cluster and builds it with the reference builder, one
 * lifecycle phase per step. The image lands in the registry with the digest the run reports, and
 * it runs in a pod and answers HTTP. No build pod mounts a Secret or a service-account token.
 *
 * Not in the default suite (vitest.config.ts excludes test/cluster/): `npm run test:cluster`.
 * The first run builds Tekton (a Go build, cached under ~/.cache/cnbkit/tekton/v1.6.0/).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BASE_LAYOUT, freePort, referenceBuilder } from "../e2e/support.js";
import { clusterBlocks, type DocsBlock } from "./docs-blocks.js";
import { runCommands } from "./docs-commands.js";
import { gitRepository, gitServerPod } from "./git-server.js";
import { pollFor } from "./manifests.js";
import { apply, appPod, type Cluster, clusterDown, clusterUp, kubectl, podImages } from "./support.js";
import {
  buildTekton,
  pushTektonImages,
  TEKTON_COMMANDS,
  type TektonBuild,
  type TektonCommand,
  writeTektonImages,
} from "./tekton-images.js";
import { adaptToCluster, installTekton, TEKTON_NAMESPACE, tektonManifests } from "./tekton-install.js";

const HELLO = /^Hello from node-hello on Node v24\.\d+\.\d+, up /;

let work = "";
let cluster: Cluster | undefined;
let builder = "";
let tekton: TektonBuild | undefined;
let images: Record<TektonCommand, string> | undefined;
let gitPort = 0;
let blocks: DocsBlock[] = [];

function c(): Cluster {
  if (!cluster) throw new Error("the cluster is not up");
  return cluster;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-tekton-"));
  // The git server's pod runs as the builder's user (1000) and reads its repository under here.
  await chmod(work, 0o755);
  builder = await referenceBuilder();
  tekton = buildTekton();
  console.log(`[tekton] scripts/fetch-tekton.sh in ${tekton.ms} ms (${tekton.dir})`);
  cluster = await clusterUp(join(work, "state"));
  console.log(`[cluster] up in ${cluster.upMs} ms`);
  gitPort = await freePort();
  blocks = await clusterBlocks("tekton.md", "Build with Tekton", {
    "registry.example.com": cluster.registry,
    "git.example.com": `127.0.0.1:${gitPort}`,
    "oci:.cnbkit/images/builder:latest": builder,
    "oci:.cnbkit/images/base:": `oci:${BASE_LAYOUT}:`,
  });
  // A cold Go build of Tekton takes tens of minutes on 2 cores; cached, a look at the cache.
}, 3_600_000);

afterAll(async () => {
  try {
    if (cluster) {
      clusterDown(cluster);
      expect(existsSync(cluster.stateDir)).toBe(false);
    }
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
  }
});

/** Every container's log of pod `pod`, for a failure message. */
function podLogs(pod: string): string {
  const names = kubectl(c(), [
    "get",
    "pod",
    pod,
    "-o",
    "jsonpath={.spec.initContainers[*].name} {.spec.containers[*].name}",
  ]);
  return names
    .split(/\s+/)
    .filter(Boolean)
    .map((n) => {
      const r = spawnSync(c().kubectl, ["--kubeconfig", c().kubeconfig, "logs", pod, "-c", n], { encoding: "utf8" });
      return `--- ${n}\n${(r.stdout + r.stderr).slice(-3000)}`;
    })
    .join("\n");
}

/** The manifest digest of `ref` in the loopback registry, as skopeo reads it. */
function registryDigest(ref: string): string {
  const r = spawnSync("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://${ref}`], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`skopeo inspect ${ref}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The docs' block number `i` of language `lang` (of the Tekton section). */
function block(lang: DocsBlock["lang"], i: number): DocsBlock {
  const b = blocks.filter((x) => x.lang === lang)[i];
  if (!b) throw new Error(`the Tekton section has no ${lang} block ${i}`);
  return b;
}

/** Applies the docs' yaml block number `i`: Tekton's webhook validates what it holds. */
function applyYamlBlock(i: number): void {
  kubectl(c(), ["apply", "-f", "-"], block("yaml", i).text);
}

/**
 * A PersistentVolume on node directory `dir`, with no storage class: the cluster has no volume
 * provisioner, so the claim a PipelineRun's volumeClaimTemplate makes binds to this one.
 */
function nodeDirVolume(name: string, dir: string): object {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      storageClassName: "",
      persistentVolumeReclaimPolicy: "Retain",
      hostPath: { path: dir, type: "Directory" },
    },
  };
}

/** One TaskRun of a PipelineRun: its pipeline task, pod and results. */
interface RunTask {
  metadata: { labels: Record<string, string> };
  status?: { podName?: string; results?: { name: string; value: string }[] };
}

/** The TaskRuns of PipelineRun `name`, by pipeline task name. */
function taskRuns(name: string): Record<string, RunTask> {
  const list = JSON.parse(kubectl(c(), ["get", "taskrun", "-l", `tekton.dev/pipelineRun=${name}`, "-o", "json"])) as {
    items: RunTask[];
  };
  return Object.fromEntries(list.items.map((t) => [t.metadata.labels["tekton.dev/pipelineTask"] ?? "?", t]));
}

/** Polls PipelineRun `name` until its Succeeded condition is True or False; returns which, and why. */
async function waitForPipelineRun(name: string, timeoutMs: number): Promise<{ ok: boolean; why: string }> {
  return pollFor(`pipelinerun/${name} done`, timeoutMs, (say) => {
    const cond = JSON.parse(
      kubectl(c(), ["get", "pipelinerun", name, "-o", 'jsonpath={.status.conditions[?(@.type=="Succeeded")]}']) || "{}",
    ) as { status?: string; reason?: string; message?: string };
    const why = `${cond.reason ?? "no status"}: ${cond.message ?? ""}`;
    say(why);
    return cond.status === "True" || cond.status === "False" ? { ok: cond.status === "True", why } : undefined;
  });
}

/** A pod's volumes and its containers' env, as the credential checks read them. */
interface PodShape {
  volumes?: object[];
  containers: { name: string; env?: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[] }[];
}

describe("Tekton Pipelines in the one-node cluster", () => {
  test("its images, written by cnbkit from binaries built from source, are in the registry", async () => {
    if (!tekton) throw new Error("Tekton was not built");
    const t0 = Date.now();
    const layout = join(work, "tekton-images");
    await writeTektonImages(tekton, layout);
    images = await pushTektonImages(c(), layout);
    console.log(`[tekton] ${TEKTON_COMMANDS.length} images written and pushed in ${Date.now() - t0} ms`);
    for (const name of TEKTON_COMMANDS) {
      const [repo, digest] = images[name].split("@");
      expect(registryDigest(`${repo}:v1.6.0`)).toBe(digest);
    }
  });

  test("it installs from its own config/ and the apiserver reaches its webhook", async () => {
    if (!tekton || !images) throw new Error("no Tekton images");
    const objects = await tektonManifests(c(), join(tekton.dir, "config"), work, images);
    await adaptToCluster(c(), objects);
    const t = await installTekton(c(), objects);
    console.log(
      `[tekton] controller and webhook Available in ${t.availableMs} ms; webhook answering ${t.webhookMs} ms later`,
    );
    const running = podImages(c(), TEKTON_NAMESPACE);
    expect(running).toContain(images.controller);
    expect(running).toContain(images.webhook);
  }, 600_000);

  test("the docs' two Tasks and Pipeline are accepted by Tekton's webhook", () => {
    for (const i of [0, 1, 2]) applyYamlBlock(i);
    expect(kubectl(c(), ["get", "task", "-o", "jsonpath={.items[*].metadata.name}"]).split(" ").sort()).toEqual([
      "buildpacks-phases-lite",
      "git-clone-lite",
    ]);
    expect(kubectl(c(), ["get", "pipeline", "cnbkit-build", "-o", "jsonpath={.spec.tasks[*].taskRef.name}"])).toBe(
      "git-clone-lite buildpacks-phases-lite",
    );
  });

  test("the docs' PipelineRun clones node-hello from git and builds it; its digest is the registry's, and it answers HTTP", async () => {
    // The page's first block publishes the (reference) builder and its run image.
    const t0 = Date.now();
    await runCommands(c(), block("sh", 0));
    const builderImage = `${c().registry}/acme/builder:1`;
    expect(registryDigest(builderImage)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const t1 = Date.now();
    const repos = await gitRepository(work, "node-hello");
    // The builder has git: the server's pod pulls it (for the build pods too).
    apply(c(), gitServerPod(builderImage, repos, gitPort));
    kubectl(c(), ["wait", "--for=condition=Ready", "pod/git-server", "--timeout=300s"]);
    console.log(
      `[tekton] builder and run image pushed in ${t1 - t0} ms; git server Ready (builder pulled) ${Date.now() - t1} ms later`,
    );
    const volume = join(work, "source-volume");
    await mkdir(volume);
    apply(c(), nodeDirVolume("source", volume));
    await runCommands(c(), block("sh", 1)); // the CA binding's ConfigMap and the registry credential's Secret
    const t2 = Date.now();
    applyYamlBlock(3);
    const run = await waitForPipelineRun("node-hello", 1_200_000);
    console.log(`[tekton] PipelineRun (git clone, then seven steps, push) in ${Date.now() - t2} ms: ${run.why}`);
    const tasks = taskRuns("node-hello");
    const logs = () =>
      Object.values(tasks)
        .map((t) => (t.status?.podName ? podLogs(t.status.podName) : ""))
        .join("\n");
    expect(run.ok, `${run.why}\n${logs()}`).toBe(true);

    // The fetch cloned the served commit; the digest the exporter reported is the one in the registry.
    const head = spawnSync("git", ["--git-dir", join(repos, "node-hello.git"), "rev-parse", "main"], {
      encoding: "utf8",
    }).stdout.trim();
    expect(tasks.fetch?.status?.results?.find((r) => r.name === "commit")?.value).toBe(head);
    const digest = kubectl(c(), [
      "get",
      "pipelinerun",
      "node-hello",
      "-o",
      'jsonpath={.status.results[?(@.name=="APP_IMAGE_DIGEST")].value}',
    ]);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(registryDigest(`${c().registry}/apps/node-hello`)).toBe(digest);

    // No credential mounted: no build pod has a Secret or projected (token) volume; the registry
    // credential reaches analyze, restore and export as environment, and no other step.
    for (const [task, t] of Object.entries(tasks)) {
      const pod = JSON.parse(
        kubectl(c(), ["get", "pod", t.status?.podName ?? "", "-o", "jsonpath={.spec}"]),
      ) as PodShape;
      expect(
        (pod.volumes ?? []).filter((v) => "secret" in v || "projected" in v),
        task,
      ).toEqual([]);
      const withSecret = pod.containers
        .filter((ct) => ct.env?.some((e) => e.valueFrom?.secretKeyRef))
        .map((ct) => ct.name)
        .sort();
      expect(withSecret, task).toEqual(task === "build" ? ["step-analyze", "step-export", "step-restore"] : []);
    }

    const port = await freePort();
    apply(c(), appPod("node-hello-tekton", `${c().registry}/apps/node-hello@${digest}`, port, true));
    kubectl(c(), ["wait", "--for=condition=Ready", "pod/node-hello-tekton", "--timeout=300s"]);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(HELLO);
  }, 1_800_000);
});
