/**
 * The cluster suite's first slice (issue 56): scripts/cluster.sh brings up a one-node Kubernetes
 * on this machine; node-hello, built by cnbkit with the reference builder, runs in a pod and
 * answers HTTP; the same builder builds node-hello inside the cluster as a Job running the
 * lifecycle's creator (the shape of Tekton's buildpacks task and of kpack), and that image runs
 * too; then the cluster goes down, leaving no process, mount or state dir.
 *
 * Not in the default suite (vitest.config.ts excludes test/cluster/): `npm run test:cluster`.
 */
import { existsSync } from "node:fs";
import { chown, cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import type { FleetInventory } from "../../builder-packager/src/fleet/index.js";
import { BASE_LAYOUT, bundleCli, caBindings, freePort, referenceBuilder, ROOT, runCli } from "../e2e/support.js";
import {
  apply,
  appPod,
  type Cluster,
  clusterDown,
  clusterUp,
  creatorJob,
  kubectl,
  push,
  waitForJob,
} from "./support.js";

const HELLO = /^Hello from node-hello on Node v24\.\d+\.\d+, up /;
// The builder's user (CNB_USER_ID and CNB_GROUP_ID of the reference builder).
const CNB_USER = 1000;

let work = "";
let cluster: Cluster | undefined;
let builder = "";

function c(): Cluster {
  if (!cluster) throw new Error("the cluster is not up");
  return cluster;
}

/**
 * Waits for pod `name` to be Ready (its readiness probe answered) and returns how long it took;
 * when it is not, fails with the reason the kubelet gives (ErrImagePull and its message, say).
 */
function podReadyMs(name: string): number {
  const t0 = Date.now();
  try {
    kubectl(c(), ["wait", "--for=condition=Ready", `pod/${name}`, "--timeout=300s"]);
  } catch (e) {
    const waiting = "{range .status.containerStatuses[*]}{.state.waiting.reason}: {.state.waiting.message}{end}";
    const why = kubectl(c(), ["get", "pod", name, "-o", `jsonpath=${waiting}`]);
    throw new Error(`pod ${name} not Ready: ${why || (e as Error).message}`);
  }
  return Date.now() - t0;
}

async function get(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-cluster-"));
  builder = await referenceBuilder();
  cluster = await clusterUp(join(work, "state"));
  console.log(`[cluster] up in ${cluster.upMs} ms`);
});

afterAll(async () => {
  try {
    if (cluster) {
      clusterDown(cluster);
      // down removed everything the cluster wrote: its state dir, and with it every mount under it.
      expect(existsSync(cluster.stateDir)).toBe(false);
    }
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
  }
});

describe("a one-node cluster from scripts/cluster.sh", () => {
  test("the node is Ready", () => {
    const ready = kubectl(c(), [
      "get",
      "node",
      "localhost",
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    expect(ready).toBe("True");
  });

  test("node-hello built by cnbkit runs in a pod and answers HTTP", async () => {
    const out = join(work, "node-hello");
    await buildApp({
      appDir: join(ROOT, "examples/apps/node-hello"),
      builder,
      output: `oci:${out}:latest`,
      bindings: await caBindings(),
    });
    const image = push(c(), `oci:${out}:latest`, "node-hello:latest");
    const port = await freePort();
    apply(c(), appPod("node-hello", image, port, true));
    console.log(`[cluster] node-hello pod pulled and Ready in ${podReadyMs("node-hello")} ms`);
    const res = await get(port);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(HELLO);
  });

  test("a pod off the host network gets an address on the cluster's bridge", async () => {
    const image = `${c().registry}/node-hello:latest`;
    apply(c(), appPod("node-hello-bridge", image, 8080, false));
    podReadyMs("node-hello-bridge");
    // Ready: the kubelet's probe reached the app at its pod IP, over the bridge.
    expect(kubectl(c(), ["get", "pod", "node-hello-bridge", "-o", "jsonpath={.status.podIP}"])).toMatch(
      /^10\.244\.0\./,
    );
  });

  test("a Service's ClusterIP leads to node-hello's pod, from the host and from another pod (kube-proxy)", async () => {
    apply(c(), {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "node-hello" },
      spec: { selector: { app: "node-hello-bridge" }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const ip = kubectl(c(), ["get", "service", "node-hello", "-o", "jsonpath={.spec.clusterIP}"]);
    expect(ip).toMatch(/^10\.96\.0\.\d+$/);
    // kube-proxy writes the Service's rules once it sees the Service and its endpoints.
    let fromHost = "";
    for (let i = 0; i < 60 && !HELLO.test(fromHost); i++) {
      fromHost = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text())
        .catch(() => "");
      if (!HELLO.test(fromHost)) await new Promise((r) => setTimeout(r, 500));
    }
    expect(fromHost).toMatch(HELLO);
    // From a pod on the bridge: the launcher runs node with the app image's own environment.
    const call = `fetch("http://${ip}/").then((r) => r.text()).then((t) => { console.log(t); process.exit(0); }, (e) => { console.error(String(e)); process.exit(1); })`;
    apply(c(), {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "call-node-hello" },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            containers: [
              {
                name: "call",
                image: `${c().registry}/node-hello:latest`,
                // One argument: the launcher runs a command it is given through bash -c, with the app's env.
                command: ["/cnb/lifecycle/launcher", `node -e '${call}'`],
              },
            ],
          },
        },
      },
    });
    const job = await waitForJob(c(), "call-node-hello", 120_000);
    expect(job.ok, job.log).toBe(true);
    expect(job.log).toMatch(HELLO);
  });

  test("java-hello in a pod with a 512Mi limit: the memory calculator sizes the JVM to it", async () => {
    const out = join(work, "java-hello");
    await buildApp({
      appDir: join(ROOT, "examples/apps/java-hello"),
      builder,
      output: `oci:${out}:latest`,
      bindings: await caBindings(),
    });
    const image = push(c(), `oci:${out}:latest`, "java-hello:latest");
    const port = await freePort();
    const pod = appPod("java-hello", image, port, true) as {
      spec: { containers: { resources?: object }[] };
    };
    pod.spec.containers[0]!.resources = { limits: { memory: "512Mi" }, requests: { memory: "512Mi" } };
    apply(c(), pod);
    console.log(`[cluster] java-hello pod pulled and Ready in ${podReadyMs("java-hello")} ms`);
    const log = kubectl(c(), ["logs", "java-hello"]);
    expect(log).toMatch(/Calculated JVM Memory Configuration: .*-Xmx\d+[KMG].* \(Total Memory: 512M,/);
    const res = await get(port);
    expect(res.status).toBe(200);
    const maxHeap = Number(/max heap (\d+)/.exec(res.body)?.[1]);
    // The heap is what the calculator left of the pod's limit, not a share of the node's memory.
    expect(maxHeap).toBeGreaterThan(64 * 2 ** 20);
    expect(maxHeap).toBeLessThan(512 * 2 ** 20);
  });

  test("a Job running the builder's creator builds node-hello in the cluster, and the image runs", async () => {
    const appDir = join(work, "job-app");
    await cp(join(ROOT, "examples/apps/node-hello"), appDir, { recursive: true });
    await chownTree(appDir, CNB_USER);
    const builderImage = push(c(), builder, "builder:latest");
    const runImage = push(c(), `oci:${BASE_LAYOUT}:run`, "run:latest");
    const output = `${c().registry}/node-hello-job:latest`;
    const t0 = Date.now();
    const bindings = await caBindings();
    apply(c(), creatorJob({ name: "build-node-hello", builder: builderImage, runImage, output, appDir, bindings }));
    const job = await waitForJob(c(), "build-node-hello", 600_000);
    console.log(`[cluster] creator Job (builder pull + build + push) in ${Date.now() - t0} ms`);
    expect(job.ok, job.log).toBe(true);
    expect(job.log).toContain(`Saving ${output}...`);
    const port = await freePort();
    apply(c(), appPod("node-hello-job", output, port, true));
    podReadyMs("node-hello-job");
    expect((await get(port)).body).toMatch(HELLO);
  });

  test("fleet scan --kubernetes names each image the pods run by the kubelet's digest, with its pods", async () => {
    const cli = await bundleCli();
    try {
      const file = join(work, "cluster-fleet.json");
      const env = { env: { KUBECONFIG: c().kubeconfig } };
      const scan = await runCli(cli.path, ["fleet", "scan", "--kubernetes", "-o", file], undefined, env);
      expect(scan.code, scan.stderr).toBe(0);
      console.log(`[cluster] ${scan.stderr.trim().split("\n").join("\n[cluster] ")}`);
      const inv = JSON.parse(await readFile(file, "utf8")) as FleetInventory;
      for (const pod of ["node-hello", "node-hello-bridge", "node-hello-job"]) {
        // The digest the kubelet reports, as kubectl reads it.
        const imageID = kubectl(c(), ["get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].imageID}"]);
        const record = inv.images.find((r) => `${r.repository}@${r.digest}` === imageID);
        expect(record, `${pod} runs ${imageID}`).toBeDefined();
        expect(record?.running).toContainEqual({ namespace: "default", pod, container: "web" });
        expect(record?.buildpacks.map((b) => b.id)).toContain("cnbkit/nodejs");
      }
      expect(inv.cluster?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const query = await runCli(cli.path, [
        "fleet",
        "query",
        "-i",
        file,
        "--running",
        "--buildpack",
        "cnbkit/nodejs",
        "--csv",
      ]);
      expect(query.code, query.stderr).toBe(0);
      expect(query.stdout).toMatch(/default\/node-hello-bridge\/web/);
      expect(query.stdout).toMatch(/default\/node-hello-job\/web/);
    } finally {
      await cli.remove();
    }
  });
});

/** chown -R: the creator runs as the builder's user and writes into the app dir. */
async function chownTree(dir: string, id: number): Promise<void> {
  await chown(dir, id, id);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, id);
    else await chown(p, id, id);
  }
}
