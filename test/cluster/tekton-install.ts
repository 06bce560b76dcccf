/**
 * Installs Tekton Pipelines into the suite's one-node cluster from Tekton's own config/ YAML,
 * as `ko resolve -f config/ | kubectl apply -f -` would: each `ko://…/cmd/<name>` becomes the
 * image this suite built and pushed (tekton-images.ts) and "devel" becomes the version, as
 * Tekton's release pipeline does. Then what this cluster needs, and only that, is changed:
 *
 * - The controller and the webhook run on the host network. Nothing routes a Service's
 *   ClusterIP here (no kube-proxy), so a pod reaches the apiserver only where it listens,
 *   127.0.0.1: KUBERNETES_SERVICE_HOST and _PORT point there (its certificate names 127.0.0.1).
 * - The apiserver calls the webhook at its endpoint, not at its ClusterIP: scripts/cluster.sh
 *   starts it with --enable-aggregator-routing, and the webhook's endpoint is the node's address.
 * - Two host-network pods share the host's ports: each server of theirs (probes, webhook,
 *   metrics, profiling) gets a free port of its own, by the environment variables Tekton and
 *   knative read; metrics listen on 127.0.0.1.
 * - The namespace enforces the "privileged" Pod Security level instead of "restricted", which
 *   refuses host-network pods.
 * - TaskRun pods (labelled tekton.dev/taskRun) are put on the host network by a
 *   MutatingAdmissionPolicy (manifests.ts), where the loopback registry and the git server are:
 *   the docs' PipelineRun runs as a user writes it, without a pod template for this cluster.
 *
 * Left out: config/events.yaml (the CloudEvents controller) and config/resolvers/ (remote
 * resolution), which a TaskRun of a Task in the cluster does not use.
 */
import { spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../e2e/support.js";
import { applyAll, type Container, type K8sObject, objectsOf, podsOnHostNetwork, setEnv } from "./manifests.js";
import { type Cluster, kubectl } from "./support.js";
import { TEKTON_COMMANDS, TEKTON_VERSION, type TektonCommand } from "./tekton-images.js";

/** Tekton's namespace, as its config/ names it. */
export const TEKTON_NAMESPACE = "tekton-pipelines";

/** The config/ files not installed (see the module comment). */
const LEFT_OUT = [/^events\.yaml$/, /^resolvers\//];

/**
 * Tekton's config/ YAML with the images and version substituted, as the objects kubectl reads
 * from it (kubectl's client-side dry run does the YAML; the suite has no YAML parser of its own).
 */
export async function tektonManifests(
  c: Cluster,
  configDir: string,
  work: string,
  images: Record<TektonCommand, string>,
): Promise<K8sObject[]> {
  const files = (await readdir(configDir, { recursive: true }))
    .filter((f) => f.endsWith(".yaml"))
    .filter((f) => !LEFT_OUT.some((re) => re.test(f)))
    .sort();
  const texts: [string, string][] = [];
  for (const f of files) {
    let text = await readFile(join(configDir, f), "utf8");
    for (const name of TEKTON_COMMANDS) {
      text = text.replaceAll(`ko://github.com/tektoncd/pipeline/cmd/${name}`, images[name]);
    }
    if (text.includes("ko://")) throw new Error(`${f}: a ko:// reference this suite builds no image for`);
    text = text.replaceAll('"devel"', `"v${TEKTON_VERSION}"`);
    texts.push([f, text]);
  }
  // Flat, in config/'s order: the namespace (100-) and CRDs (300-) before what uses them.
  return objectsOf(c, join(work, "tekton-config"), texts);
}

/** Moves a container's named port (and the server behind it, by `envName`) to `port`. */
function movePort(container: Container, portName: string, envName: string, port: number): void {
  const p = container.ports?.find((x) => x.name === portName);
  if (!p) throw new Error(`container ${container.name} has no port named ${portName}`);
  p.containerPort = port;
  setEnv(container, envName, String(port));
}

/** Changes the controller's and the webhook's Deployments and the namespace as the module comment says. */
export async function adaptToCluster(c: Cluster, objects: K8sObject[]): Promise<void> {
  const apiPort = c.env.CNBKIT_CLUSTER_API_PORT;
  if (!apiPort) throw new Error("the cluster's env has no CNBKIT_CLUSTER_API_PORT");
  for (const o of objects) {
    if (o.kind === "Namespace" && o.metadata.name === TEKTON_NAMESPACE) {
      o.metadata.labels = { ...o.metadata.labels, "pod-security.kubernetes.io/enforce": "privileged" };
    }
    if (o.kind !== "Deployment") continue;
    const pod = o.spec?.template?.spec;
    const container = pod?.containers[0];
    if (!pod || !container) continue;
    pod.hostNetwork = true;
    pod.dnsPolicy = "Default";
    setEnv(container, "KUBERNETES_SERVICE_HOST", "127.0.0.1");
    setEnv(container, "KUBERNETES_SERVICE_PORT", apiPort);
    movePort(container, "probes", "PROBES_PORT", await freePort());
    movePort(container, "metrics", "METRICS_PROMETHEUS_PORT", await freePort());
    setEnv(container, "METRICS_PROMETHEUS_HOST", "127.0.0.1");
    movePort(container, "profiling", "PROFILING_PORT", await freePort());
    if (o.metadata.name === "tekton-pipelines-webhook") {
      movePort(container, "https-webhook", "WEBHOOK_PORT", await freePort());
    }
  }
}

/** How long each part of {@link installTekton} took, in ms. */
export interface TektonInstall {
  /** From the first `kubectl apply` until the controller and the webhook are Available. */
  readonly availableMs: number;
  /** From Available until the apiserver's call to the webhook succeeds (its certificate and configurations reconciled). */
  readonly webhookMs: number;
}

/**
 * Applies Tekton's objects, waits for its Deployments, then until the apiserver can call the
 * webhook: a server-side dry run of a TaskRun is defaulted and validated by it. When that never
 * succeeds, the last refusal is in the error (the apiserver's own words about the webhook).
 */
export async function installTekton(c: Cluster, objects: K8sObject[]): Promise<TektonInstall> {
  const t0 = Date.now();
  // One List, in config/'s order (kubectl applies it item by item): the namespace, the RBAC,
  // the CRDs, the webhook configurations (no rules until the webhook fills them in), the
  // ConfigMaps, the Deployments; then the TaskRun pods' host-network policy.
  // Server-side: Tekton's larger CRDs do not fit client-side apply's last-applied annotation (256 KiB).
  applyAll(c, [...objects, ...podsOnHostNetwork("tekton-taskrun-pods-on-host-network", "tekton.dev/taskRun")]);
  kubectl(c, ["-n", TEKTON_NAMESPACE, "wait", "--for=condition=Available", "deployment", "--all", "--timeout=300s"]);
  const t1 = Date.now();
  const probe = {
    apiVersion: "tekton.dev/v1",
    kind: "TaskRun",
    metadata: { name: "webhook-probe", namespace: "default" },
    spec: { taskSpec: { steps: [{ name: "noop", image: "probe", command: ["true"] }] } },
  };
  let last = "";
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; ) {
    const r = spawnSync(
      c.kubectl,
      ["--kubeconfig", c.kubeconfig, "create", "--dry-run=server", "-o", "json", "-f", "-"],
      { input: JSON.stringify(probe), encoding: "utf8", timeout: 60_000 },
    );
    // Defaulted by the webhook: a TaskRun's timeout and service account are set only there.
    if (r.status === 0 && (JSON.parse(r.stdout) as { spec: { timeout?: string } }).spec.timeout) {
      return { availableMs: t1 - t0, webhookMs: Date.now() - t1 };
    }
    last = r.status === 0 ? "accepted, but not defaulted: the mutating webhook was not called" : r.stderr.trim();
    await new Promise((res) => setTimeout(res, 2000));
  }
  throw new Error(`the apiserver never got an answer from Tekton's webhook; last: ${last}`);
}
