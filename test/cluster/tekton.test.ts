/**
 * Tekton in the suite's one-node cluster (issue 56, item 2): Tekton Pipelines v1.6.0 built from
 * its Go module, its images written by cnbkit's oci stage and pushed to the loopback registry,
 * installed from its own config/ YAML; then a TaskRun of the shape of the catalog's
 * `buildpacks-phases` builds node-hello with the reference builder, the image lands in the
 * registry, and it runs in a pod and answers HTTP. No registry credential is mounted anywhere.
 *
 * Not in the default suite (vitest.config.ts excludes test/cluster/): `npm run test:cluster`.
 * The first run builds Tekton (a Go build, cached under ~/.cache/cnbkit/tekton/v1.6.0/).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BASE_LAYOUT, caBindings, freePort, referenceBuilder, ROOT } from "../e2e/support.js";
import {
  buildpacksPhasesTask,
  buildpacksPhasesTaskRun,
  caBindingConfigMap,
  sourceVolume,
} from "./buildpacks-phases.js";
import { apply, appPod, type Cluster, clusterDown, clusterUp, kubectl, podImages, push } from "./support.js";
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

function c(): Cluster {
  if (!cluster) throw new Error("the cluster is not up");
  return cluster;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-tekton-"));
  builder = await referenceBuilder();
  tekton = buildTekton();
  console.log(`[tekton] scripts/fetch-tekton.sh in ${tekton.ms} ms (${tekton.dir})`);
  cluster = await clusterUp(join(work, "state"));
  console.log(`[cluster] up in ${cluster.upMs} ms`);
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

/** Polls TaskRun `name` until its Succeeded condition is True or False; returns it and the reason. */
async function waitForTaskRun(name: string, timeoutMs: number): Promise<{ ok: boolean; why: string }> {
  const cond = (f: string) => `jsonpath={.status.conditions[?(@.type=="Succeeded")].${f}}`;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const status = kubectl(c(), ["get", "taskrun", name, "-o", cond("status")]);
    if (status === "True" || status === "False") {
      return {
        ok: status === "True",
        why: `${kubectl(c(), ["get", "taskrun", name, "-o", cond("reason")])}: ${kubectl(c(), ["get", "taskrun", name, "-o", cond("message")])}`,
      };
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`TaskRun ${name} did not finish in ${timeoutMs} ms`);
}

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

  test("a buildpacks-phases TaskRun builds node-hello; the image lands in the registry and answers HTTP", async () => {
    const appDir = join(work, "tekton-app");
    await cp(join(ROOT, "examples/apps/node-hello"), appDir, { recursive: true });
    const builderImage = push(c(), builder, "builder:latest");
    const runImage = push(c(), `oci:${BASE_LAYOUT}:run`, "run:latest");
    const appImage = `${c().registry}/node-hello-tekton:latest`;
    const [ca] = await caBindings();
    apply(c(), buildpacksPhasesTask());
    for (const o of sourceVolume("node-hello-source", appDir)) apply(c(), o);
    if (ca) apply(c(), caBindingConfigMap("ca-binding", await readFile(join(ca.dir, "ca.pem"), "utf8")));
    const t0 = Date.now();
    apply(
      c(),
      buildpacksPhasesTaskRun({
        name: "node-hello",
        sourceClaim: "node-hello-source",
        builder: builderImage,
        runImage,
        appImage,
        ...(ca ? { caBinding: "ca-binding" } : {}),
      }),
    );
    const run = await waitForTaskRun("node-hello", 900_000);
    const pod = kubectl(c(), ["get", "taskrun", "node-hello", "-o", "jsonpath={.status.podName}"]);
    console.log(`[tekton] TaskRun (builder pull, seven steps, push) in ${Date.now() - t0} ms: ${run.why}`);
    expect(run.ok, `${run.why}\n${pod ? podLogs(pod) : "(no pod)"}`).toBe(true);

    // The digest the exporter reported is the one in the registry.
    const result = kubectl(c(), [
      "get",
      "taskrun",
      "node-hello",
      "-o",
      'jsonpath={.status.results[?(@.name=="APP_IMAGE_DIGEST")].value}',
    ]);
    expect(result).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(registryDigest(appImage)).toBe(result);

    // No credential reached the build: the pod has no Secret or projected (token) volume.
    const volumes = JSON.parse(kubectl(c(), ["get", "pod", pod, "-o", "jsonpath={.spec.volumes}"])) as object[];
    expect(volumes.filter((v) => "secret" in v || "projected" in v)).toEqual([]);

    const port = await freePort();
    apply(c(), appPod("node-hello-tekton", appImage, port, true));
    kubectl(c(), ["wait", "--for=condition=Ready", "pod/node-hello-tekton", "--timeout=300s"]);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(HELLO);
  }, 1_200_000);
});
