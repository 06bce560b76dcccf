/**
 * Kubernetes manifests as the cluster suite handles them: a project's config/ YAML read into
 * objects by kubectl (the suite has no YAML parser of its own), the few fields the suite changes
 * for this one-node cluster (host network, the apiserver's address, ports), applied as one List,
 * and a poll for a status to settle. Shared by Tekton's and kpack's installs.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../e2e/support.js";
import { type Cluster, kubectl } from "./support.js";

/** The part of a Kubernetes object the suite reads or changes (the rest passes through as it is). */
export interface K8sObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { template?: { spec: PodSpec }; ports?: { port: number; targetPort?: number | string }[] };
  data?: Record<string, string>;
}

/** One container of a {@link PodSpec}. */
export interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
}

/** The part of a pod spec the suite changes. */
export interface PodSpec {
  hostNetwork?: boolean;
  dnsPolicy?: string;
  containers: Container[];
}

/**
 * The objects of YAML `files` (name → text), as kubectl reads them: written flat into
 * `work/<name>` in the given order (namespaces and CRDs first, as config/ names them), then
 * `kubectl create --dry-run=client -o json` over the directory.
 */
export async function objectsOf(c: Cluster, work: string, files: [string, string][]): Promise<K8sObject[]> {
  await mkdir(work, { recursive: true });
  for (const [i, [name, text]] of files.entries()) {
    await writeFile(join(work, `${String(i).padStart(3, "0")}-${name.replaceAll("/", "-")}`), text);
  }
  return jsonStream(kubectl(c, ["create", "--dry-run=client", "-o", "json", "-f", work])) as K8sObject[];
}

/** The JSON values of a stream of them (kubectl prints one object after another, not a List). */
export function jsonStream(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") {
      if (depth++ === 0) start = i;
    } else if (ch === "}" && --depth === 0) {
      out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}

/** The env var `name` of a container set to `value`, added or replaced. */
export function setEnv(container: Container, name: string, value: string): void {
  container.env = [...(container.env ?? []).filter((e) => e.name !== name), { name, value }];
}

/**
 * Puts a control-plane pod (a controller, a webhook) on the host network: nothing routes a
 * Service's ClusterIP here (no kube-proxy), so it reaches the apiserver only where that listens,
 * 127.0.0.1 (its certificate names it), through KUBERNETES_SERVICE_HOST and _PORT. Its knative
 * servers that would collide with another host-network pod's get free ports: profiling
 * (PROFILING_PORT) and Prometheus metrics (METRICS_PROMETHEUS_PORT, on 127.0.0.1).
 */
export async function onHostNetwork(c: Cluster, pod: PodSpec): Promise<Container> {
  const apiPort = c.env.CNBKIT_CLUSTER_API_PORT;
  if (!apiPort) throw new Error("the cluster's env has no CNBKIT_CLUSTER_API_PORT");
  const container = pod.containers[0];
  if (!container) throw new Error("a pod spec with no container");
  pod.hostNetwork = true;
  pod.dnsPolicy = "Default";
  setEnv(container, "KUBERNETES_SERVICE_HOST", "127.0.0.1");
  setEnv(container, "KUBERNETES_SERVICE_PORT", apiPort);
  setEnv(container, "PROFILING_PORT", String(await freePort()));
  setEnv(container, "METRICS_PROMETHEUS_PORT", String(await freePort()));
  setEnv(container, "METRICS_PROMETHEUS_HOST", "127.0.0.1");
  return container;
}

/**
 * A MutatingAdmissionPolicy (and its binding), named `name`, that puts every pod created with
 * label `label` on the host network: the only network that reaches the loopback registry and the
 * git server here, for pods whose controller has no setting for it (kpack's build pods) or whose
 * manifests come from the docs, which should not carry this cluster's quirk (Tekton's TaskRun
 * pods). Needs the MutatingAdmissionPolicy feature gate and admissionregistration.k8s.io/v1beta1,
 * which scripts/cluster.sh turns on.
 */
export function podsOnHostNetwork(name: string, label: string): object[] {
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1beta1",
      kind: "MutatingAdmissionPolicy",
      metadata: { name },
      spec: {
        matchConstraints: {
          resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
        },
        matchConditions: [
          { name: "labelled", expression: `has(object.metadata.labels) && '${label}' in object.metadata.labels` },
        ],
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
        mutations: [
          {
            patchType: "ApplyConfiguration",
            applyConfiguration: {
              expression: 'Object{spec: Object.spec{hostNetwork: true, dnsPolicy: "Default"}}',
            },
          },
        ],
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1beta1",
      kind: "MutatingAdmissionPolicyBinding",
      metadata: { name },
      spec: { policyName: name },
    },
  ];
}

/**
 * Applies `objects` as one List, in their order (kubectl applies it item by item), server-side:
 * the larger CRDs (Tekton's) do not fit client-side apply's last-applied annotation (256 KiB).
 */
export function applyAll(c: Cluster, objects: readonly object[]): void {
  kubectl(c, ["apply", "--server-side", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}

/**
 * Polls `probe` every `everyMs` until it returns a value (not undefined); throws after
 * `timeoutMs` with `what` and the last thing `probe` said through `last`.
 */
export async function pollFor<T>(
  what: string,
  timeoutMs: number,
  probe: (say: (why: string) => void) => T | undefined,
  everyMs = 2000,
): Promise<T> {
  let last = "";
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const v = probe((why) => {
      last = why;
    });
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not after ${Math.round(timeoutMs / 1000)} s${last ? `; last: ${last}` : ""}`);
}
