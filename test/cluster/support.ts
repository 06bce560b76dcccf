/**
 * Shared parts of the cluster suite: scripts/cluster.sh driven from a test (up in a state dir of
 * the test's own, on free ports; down at the end), kubectl against it, skopeo pushes to its
 * loopback registry, and the pod shapes the tests run.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { freePort, ROOT } from "../e2e/support.js";

/** A cluster that scripts/cluster.sh brought up, as its `env` command prints it. */
export interface Cluster {
  /** The state dir (`CNBKIT_CLUSTER_DIR`): everything the cluster wrote, removed by {@link clusterDown}. */
  readonly stateDir: string;
  /** The environment that points scripts/cluster.sh at this cluster's state dir and ports. */
  readonly env: NodeJS.ProcessEnv;
  /** The admin kubeconfig. */
  readonly kubeconfig: string;
  /** The kubectl built beside the cluster's binaries. */
  readonly kubectl: string;
  /** The loopback registry, `127.0.0.1:<port>`, that the kubelet pulls from over HTTP. */
  readonly registry: string;
  /** How long `up` took, in ms. */
  readonly upMs: number;
}

function script(command: string, env: NodeJS.ProcessEnv): { stdout: string; stderr: string; status: number | null } {
  return spawnSync("bash", [join(ROOT, "scripts/cluster.sh"), command], { env, encoding: "utf8", timeout: 600_000 });
}

/**
 * Brings a cluster up in `stateDir` on free loopback ports (so a developer's own cluster on the
 * default ports is left alone) and reads back what `up` printed.
 */
export async function clusterUp(stateDir: string): Promise<Cluster> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CNBKIT_CLUSTER_DIR: stateDir,
    CNBKIT_CLUSTER_ETCD_PORT: String(await freePort()),
    CNBKIT_CLUSTER_ETCD_PEER_PORT: String(await freePort()),
    CNBKIT_CLUSTER_API_PORT: String(await freePort()),
    CNBKIT_CLUSTER_REGISTRY_PORT: String(await freePort()),
    CNBKIT_CLUSTER_KUBELET_PORT: String(await freePort()),
  };
  const t0 = Date.now();
  const r = script("up", env);
  if (r.status !== 0) throw new Error(`cluster.sh up failed (${r.status}):\n${r.stderr.slice(-4000)}`);
  const vars = Object.fromEntries([...r.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  return {
    stateDir,
    env,
    kubeconfig: vars.KUBECONFIG ?? "",
    kubectl: vars.KUBECTL ?? "",
    registry: vars.CNBKIT_CLUSTER_REGISTRY ?? "",
    upMs: Date.now() - t0,
  };
}

/** Takes the cluster down: its processes stopped by PID, its mounts removed, its state dir deleted. */
export function clusterDown(c: Cluster): void {
  const r = script("down", c.env);
  if (r.status !== 0) throw new Error(`cluster.sh down failed (${r.status}):\n${r.stderr.slice(-4000)}`);
}

/** Runs kubectl against the cluster; throws with its stderr when it fails. `input` goes to stdin. */
export function kubectl(c: Cluster, args: string[], input?: string): string {
  const r = spawnSync(c.kubectl, ["--kubeconfig", c.kubeconfig, ...args], {
    input,
    encoding: "utf8",
    timeout: 600_000,
    // CRDs (Tekton's) make outputs of megabytes; spawnSync's default cap is 1 MiB.
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The first container's image of every pod in `namespace`, space-separated (what a controller install runs). */
export function podImages(c: Cluster, namespace: string): string {
  return kubectl(c, ["-n", namespace, "get", "pods", "-o", "jsonpath={.items[*].spec.containers[0].image}"]);
}

/** Applies one manifest (an object, sent as JSON). */
export function apply(c: Cluster, manifest: object): void {
  kubectl(c, ["apply", "-f", "-"], JSON.stringify(manifest));
}

/** Copies image `from` (a skopeo reference, e.g. `oci:<dir>:latest`) to `<registry>/<name>`; returns that. */
export function push(c: Cluster, from: string, name: string): string {
  const to = `${c.registry}/${name}`;
  const r = spawnSync(
    "skopeo",
    ["--insecure-policy", "copy", "-q", "--dest-tls-verify=false", from, `docker://${to}`],
    {
      encoding: "utf8",
      timeout: 600_000,
    },
  );
  if (r.status !== 0) throw new Error(`skopeo copy ${from} ${to} failed: ${r.stderr}`);
  return to;
}

/**
 * A pod that runs a cnbkit app image with its default process, serving on `port`. With
 * `hostNetwork` it binds 127.0.0.1 (the only address that reaches anything here); without, it
 * gets an address on the cluster's bridge and binds every interface. Either way the kubelet's
 * readiness probe GETs `/`, so Ready means the app answered HTTP.
 */
export function appPod(name: string, image: string, port: number, hostNetwork: boolean): object {
  const host = hostNetwork ? "127.0.0.1" : "0.0.0.0";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name } },
    spec: {
      hostNetwork,
      dnsPolicy: "Default",
      automountServiceAccountToken: false,
      containers: [
        {
          name: "web",
          image,
          env: [
            { name: "PORT", value: String(port) },
            { name: "HOST", value: host },
          ],
          readinessProbe: {
            httpGet: { ...(hostNetwork ? { host: "127.0.0.1" } : {}), port, path: "/" },
            periodSeconds: 1,
          },
        },
      ],
    },
  };
}

/** Waits until Job `name` completes or fails; returns which, and the creator's log. */
export async function waitForJob(c: Cluster, name: string, timeoutMs: number): Promise<{ ok: boolean; log: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const conditions = kubectl(c, ["get", "job", name, "-o", "jsonpath={.status.conditions[*].type}"]).split(" ");
    const done = conditions.includes("Complete") ? true : conditions.includes("Failed") ? false : undefined;
    if (done !== undefined) return { ok: done, log: kubectl(c, ["logs", `job/${name}`]) };
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`job ${name} neither completed nor failed in ${timeoutMs} ms`);
}
