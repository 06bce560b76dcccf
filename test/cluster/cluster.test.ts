/**
 * The cluster suite's first slice (issue 56): scripts/cluster.sh brings up a one-node Kubernetes
 * on this machine, and docs/kubernetes.md's blocks run against it as they are (up, env, get nodes
 * and status; node-hello, built by cnbkit with the reference builder, copied to the registry, run
 * with `kubectl run` and asked over HTTP; at the end, down); node-hello, python-hello and java-hello run as Deployments behind Services that a
 * pod calls by ClusterIP (kube-proxy), java-hello under a memory limit its JVM is sized to; the
 * same builder builds node-hello inside the cluster as a Job running the lifecycle's creator (the
 * shape of Tekton's buildpacks task and of kpack), and that image runs too; `fleet scan
 * --kubernetes` names what the pods run; then the cluster goes down, leaving no process, mount or
 * state dir.
 *
 * Not in the default suite (vitest.config.ts excludes test/cluster/): `npm run test:cluster`.
 */
import { existsSync } from "node:fs";
import { chown, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import type { FleetInventory } from "../../builder-packager/src/fleet/index.js";
import { BASE_LAYOUT, bundleCli, caBindings, freePort, referenceBuilder, ROOT, runCli } from "../e2e/support.js";
import { clusterBlocks, type DocsBlock } from "./docs-blocks.js";
import { runInBash } from "./docs-commands.js";
import { apply, appPod, type Cluster, clusterDown, clusterUp, kubectl, push, waitForJob } from "./support.js";

const HELLO = /^Hello from node-hello on Node v24\.\d+\.\d+, up /;
// The builder's user (CNB_USER_ID and CNB_GROUP_ID of the reference builder).
const CNB_USER = 1000;

let work = "";
let cluster: Cluster | undefined;
let builder = "";
/** docs/kubernetes.md's "Up and down" blocks (up, then down) and its "Running an image" block. */
let upDown: DocsBlock[] = [];
let runImage: DocsBlock | undefined;
/** The port node-hello serves on in the docs' `kubectl run` (18080 on the page). */
let docsPort = 0;

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
  upDown = await clusterBlocks("kubernetes.md", "Up and down", {});
  docsPort = await freePort();
  [runImage] = await clusterBlocks("kubernetes.md", "Running an image built by cnbkit", {
    "oci:.cnbkit/images/app:latest": `oci:${join(work, "node-hello")}:latest`,
    "18080": String(docsPort),
  });
});

afterAll(async () => {
  try {
    if (cluster) {
      // The docs' down, as a reader runs it; clusterDown (the same script) if the page was not read.
      const down = upDown[1];
      if (down) runInBash(cluster, down, ROOT);
      else clusterDown(cluster);
      // down removed everything the cluster wrote: its state dir, and with it every mount under it.
      expect(existsSync(cluster.stateDir)).toBe(false);
    }
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
  }
});

describe("a one-node cluster from scripts/cluster.sh", () => {
  test("the docs' up, env, get nodes and status: the node is Ready", () => {
    const up = upDown[0];
    if (!up) throw new Error('docs/kubernetes.md: no "Up and down" block');
    // up again is the docs' idempotent up: the running cluster is left as it is.
    const out = runInBash(c(), up, ROOT);
    console.log(`[cluster] the docs' up block printed:\n${out.trimEnd()}`);
    expect(out).toMatch(/^localhost\s+Ready\s/m);
    const ready = kubectl(c(), [
      "get",
      "node",
      "localhost",
      "-o",
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    expect(ready).toBe("True");
  });

  test("the docs' block runs node-hello, built by cnbkit, in a pod, and it answers HTTP", async () => {
    if (!runImage) throw new Error('docs/kubernetes.md: no "Running an image built by cnbkit" block');
    await buildApp({
      appDir: join(ROOT, "examples/apps/node-hello"),
      builder,
      output: `oci:${join(work, "node-hello")}:latest`,
      bindings: await caBindings(),
    });
    const t0 = Date.now();
    const out = runInBash(c(), runImage, ROOT);
    console.log(
      `[cluster] the docs' block (copy, kubectl run, wait, curl) in ${Date.now() - t0} ms: ${out.trim().split("\n").at(-1)}`,
    );
    expect(out).toMatch(/^Hello from node-hello on Node v24\.\d+\.\d+, up /m);
    expect(kubectl(c(), ["get", "pod", "node-hello", "-o", "jsonpath={.spec.hostNetwork}"])).toBe("true");
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

  test("node-hello, python-hello and java-hello as Deployments behind Services answer a pod's calls; java's heap fits its 512Mi limit", async () => {
    const images: Record<string, string> = { "node-hello": `${c().registry}/node-hello:latest` };
    for (const app of ["python-hello", "java-hello"]) {
      const out = join(work, app);
      await buildApp({
        appDir: join(ROOT, "examples/apps", app),
        builder,
        output: `oci:${out}:latest`,
        bindings: await caBindings(),
      });
      images[app] = push(c(), `oci:${out}:latest`, `${app}:latest`);
    }
    for (const [app, image] of Object.entries(images)) {
      apply(c(), appDeployment(app, image, app === "java-hello" ? "512Mi" : undefined));
      apply(c(), {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: app },
        spec: { selector: { app: `${app}-svc` }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    }
    const t0 = Date.now();
    for (const app of Object.keys(images)) kubectl(c(), ["rollout", "status", `deployment/${app}`, "--timeout=300s"]);
    console.log(`[cluster] three Deployments available in ${Date.now() - t0} ms`);
    const ips = Object.fromEntries(
      Object.keys(images).map((app) => [
        app,
        kubectl(c(), ["get", "service", app, "-o", "jsonpath={.spec.clusterIP}"]),
      ]),
    );
    // From the host: kube-proxy's rules for locally made connections.
    const fromHost = await fetch(`http://${ips["node-hello"]}/`, { signal: AbortSignal.timeout(5000) }).then((r) =>
      r.text(),
    );
    expect(fromHost).toMatch(HELLO);
    // From a pod on the bridge: the launcher runs node with the node-hello image's environment.
    const call = `(async () => { for (const [app, ip] of ${JSON.stringify(Object.entries(ips))}) console.log(app + ": " + (await (await fetch("http://" + ip + "/")).text()).trim()); })().catch((e) => { console.error(String(e.cause ?? e)); process.exit(1); })`;
    apply(c(), {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "call-services" },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            containers: [
              {
                name: "call",
                image: images["node-hello"],
                // One argument: the launcher runs a command it is given through bash -c, with the app's env.
                command: ["/cnb/lifecycle/launcher", `node -e '${call}'`],
              },
            ],
          },
        },
      },
    });
    const job = await waitForJob(c(), "call-services", 120_000);
    expect(job.ok, job.log).toBe(true);
    console.log(`[cluster] a pod called each Service:\n[cluster] ${job.log.trim().split("\n").join("\n[cluster] ")}`);
    expect(job.log).toMatch(/^node-hello: Hello from node-hello on Node v24\./m);
    expect(job.log).toMatch(/^python-hello: Hello from python-hello on CPython 3\./m);
    const java = /^java-hello: Hello from Spring Boot .* max heap (\d+)$/m.exec(job.log);
    expect(java, job.log).not.toBeNull();
    // The heap is what the memory calculator left of the pod's limit, not a share of the node's memory.
    expect(Number(java![1])).toBeGreaterThan(64 * 2 ** 20);
    expect(Number(java![1])).toBeLessThan(512 * 2 ** 20);
    expect(kubectl(c(), ["logs", "deployment/java-hello"])).toMatch(
      /Calculated JVM Memory Configuration: .*-Xmx\d+[KMG].* \(Total Memory: 512M,/,
    );
  });

  test("a Job running the builder's creator builds node-hello in the cluster, and the image runs", async () => {
    const appDir = join(work, "job-app");
    await cp(join(ROOT, "examples/apps/node-hello"), appDir, { recursive: true });
    await chownTree(appDir, CNB_USER);
    push(c(), builder, "builder:latest");
    push(c(), `oci:${BASE_LAYOUT}:run`, "run:latest");
    const output = `${c().registry}/node-hello-job:latest`;
    // The page's CA binding: this machine's proxy CA where there is one, else the system bundle.
    const ca = join(work, "ca-binding");
    await mkdir(ca);
    await writeFile(join(ca, "type"), "ca-certificates");
    await cp(process.env.NODE_EXTRA_CA_CERTS || "/etc/ssl/certs/ca-certificates.crt", join(ca, "ca.pem"));
    const [manifest] = await clusterBlocks("kubernetes.md", "Building in the cluster", {
      "registry.example.com": c().registry,
      "/srv/apps/node-hello": appDir,
      "/srv/bindings/ca": ca,
    });
    if (!manifest) throw new Error("docs/kubernetes.md's Building in the cluster has no Job block");
    const t0 = Date.now();
    kubectl(c(), ["apply", "-f", "-"], manifest.text);
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
        // `kubectl run` (the docs') names its container after the pod; appPod names it web.
        const container = pod === "node-hello" ? "node-hello" : "web";
        expect(record?.running).toContainEqual({ namespace: "default", pod, container });
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

/** A one-replica Deployment of an app on the cluster's bridge, listening on 8080, with a memory limit when given. */
function appDeployment(app: string, image: string, memory?: string): object {
  const labels = { app: `${app}-svc` };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: app },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              name: "web",
              image,
              env: [{ name: "PORT", value: "8080" }],
              readinessProbe: { httpGet: { port: 8080, path: "/" }, periodSeconds: 1 },
              ...(memory ? { resources: { limits: { memory }, requests: { memory } } } : {}),
            },
          ],
        },
      },
    },
  };
}
