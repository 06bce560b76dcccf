/**
 * Installs kpack into the suite's one-node cluster from kpack's own config/ YAML, as its
 * hack/build.sh does (`ytt -f config | kbld`): config/ is a ytt template whose only template
 * expressions are `#@ data.values.<image>.image` and `#@ data.values.kpack_version`
 * (config/schema.yaml), so each is replaced by the image this suite built and pushed
 * (kpack-images.ts), the lifecycle image by cnbkit's, and the version by the release's; any other
 * `#@` line fails the install. Then what this cluster needs, and only that, is changed:
 *
 * - The controller and the webhook run on the host network (manifests.ts: the apiserver at
 *   127.0.0.1, knative's profiling and metrics servers on free ports); the webhook listens on a
 *   free port (WEBHOOK_PORT), and its Service's targetPort follows. The apiserver calls it at the
 *   Service's endpoint (scripts/cluster.sh starts it with --enable-aggregator-routing).
 * - The kpack namespace enforces the "privileged" Pod Security level instead of "restricted",
 *   which refuses host-network pods.
 * - Build and rebase pods (labelled kpack.io/build) are put on the host network by a
 *   MutatingAdmissionPolicy (manifests.ts): kpack has no setting for it, and only there do they reach the
 *   loopback registry and the git server. Their containers keep kpack's security context
 *   (non-root, no privilege escalation, all capabilities dropped).
 */
import { spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "../e2e/support.js";
import { KPACK_COMMANDS, KPACK_VERSION, type KpackCommand } from "./kpack-images.js";
import { applyAll, type K8sObject, objectsOf, onHostNetwork, podsOnHostNetwork, pollFor, setEnv } from "./manifests.js";
import { type Cluster, kubectl } from "./support.js";

/** kpack's namespace, as its config/ names it. */
export const KPACK_NAMESPACE = "kpack";

/** The ytt data values config/ reads: `<key>.image` per image, and `kpack_version`. */
const IMAGE_KEYS: Record<KpackCommand, string> = {
  controller: "controller",
  webhook: "webhook",
  "build-init": "build_init",
  "build-waiter": "build_waiter",
  rebase: "rebase",
  completion: "completion",
};

/**
 * kpack's config/ YAML with the images and version substituted, as the objects kubectl reads
 * from it. `lifecycle` is the image of config/default_clusterlifecycle.yaml's ClusterLifecycle
 * (kpack's release points it at buildpacksio/lifecycle).
 */
export async function kpackManifests(
  c: Cluster,
  configDir: string,
  work: string,
  images: Record<KpackCommand, string>,
  lifecycle: string,
): Promise<KpackConfig> {
  const values: Record<string, string> = { "lifecycle.image": lifecycle, kpack_version: KPACK_VERSION };
  for (const name of KPACK_COMMANDS) values[`${IMAGE_KEYS[name]}.image`] = images[name];
  const files = (await readdir(configDir)).filter((f) => f.endsWith(".yaml") && f !== "schema.yaml").sort();
  const texts: [string, string][] = [];
  for (const f of files) {
    const text = (await readFile(join(configDir, f), "utf8"))
      .replace(/^#@ load\("@ytt:data", "data"\)\n/m, "")
      .replace(/#@ data\.values\.([\w.]+)/g, (_, key: string) => {
        const v = values[key];
        if (v === undefined) throw new Error(`config/${f}: data.values.${key} is no value this suite knows`);
        return JSON.stringify(v);
      });
    const left = text.split("\n").find((l) => l.includes("#@"));
    if (left) throw new Error(`config/${f}: a ytt expression this suite does not evaluate: ${left.trim()}`);
    texts.push([f, text]);
  }
  // kubectl reads an object of a kpack kind only once its CRD is installed: those files wait.
  const isCustom = ([, text]: [string, string]) => /^apiVersion: kpack\.io\//m.test(text);
  return {
    objects: await objectsOf(
      c,
      join(work, "kpack-config"),
      texts.filter((t) => !isCustom(t)),
    ),
    custom: texts.filter(isCustom).map(([, text]) => text),
  };
}

/** kpack's config/, substituted: the objects kubectl could read, and the YAML of kpack's own kinds. */
export interface KpackConfig {
  /** Everything but objects of kpack's kinds, in config/'s order (the namespace first). */
  readonly objects: K8sObject[];
  /** The files of objects of kpack's kinds (the default ClusterLifecycle), applied last. */
  readonly custom: string[];
}

/** Changes kpack's Deployments, the webhook's Service and the namespace as the module comment says. */
export async function adaptToCluster(c: Cluster, config: KpackConfig): Promise<void> {
  const webhookPort = await freePort();
  for (const o of config.objects) {
    if (o.kind === "Namespace" && o.metadata.name === KPACK_NAMESPACE) {
      o.metadata.labels = { ...o.metadata.labels, "pod-security.kubernetes.io/enforce": "privileged" };
    }
    if (o.kind === "Service" && o.metadata.name === "kpack-webhook") {
      for (const p of o.spec?.ports ?? []) p.targetPort = webhookPort;
    }
    if (o.kind !== "Deployment") continue;
    const pod = o.spec?.template?.spec;
    if (!pod) continue;
    const container = await onHostNetwork(c, pod);
    if (o.metadata.name === "kpack-webhook") {
      const p = container.ports?.find((x) => x.name === "https-webhook");
      if (!p) throw new Error("kpack-webhook has no port named https-webhook");
      p.containerPort = webhookPort;
      setEnv(container, "WEBHOOK_PORT", String(webhookPort));
    }
  }
}

/** How long each part of {@link installKpack} took, in ms. */
export interface KpackInstall {
  /** From the first `kubectl apply` until the controller and the webhook are Available. */
  readonly availableMs: number;
  /** From Available until the apiserver's call to the webhook succeeds. */
  readonly webhookMs: number;
}

/**
 * Applies kpack's objects (config/'s order: the namespace, RBAC and CRDs first) and the
 * build-pod policy, waits for the CRDs and the Deployments, then until the apiserver can call the
 * webhook (a server-side dry run of an Image is defaulted by it: its tagging strategy is set only
 * there), then applies the objects of kpack's kinds.
 */
export async function installKpack(c: Cluster, config: KpackConfig): Promise<KpackInstall> {
  const t0 = Date.now();
  applyAll(c, [...config.objects, ...podsOnHostNetwork("kpack-build-pods-on-host-network", "kpack.io/build")]);
  const crds = config.objects.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata.name);
  kubectl(c, ["wait", "--for=condition=Established", "crd", ...crds, "--timeout=60s"]);
  kubectl(c, ["-n", KPACK_NAMESPACE, "wait", "--for=condition=Available", "deployment", "--all", "--timeout=300s"]);
  const t1 = Date.now();
  const probe = {
    apiVersion: "kpack.io/v1alpha2",
    kind: "Image",
    metadata: { name: "webhook-probe", namespace: "default" },
    spec: {
      tag: `${c.registry}/probe`,
      builder: { kind: "ClusterBuilder", name: "probe" },
      source: { git: { url: "git://127.0.0.1/probe.git", revision: "main" } },
    },
  };
  await pollFor("the apiserver's call to kpack's webhook", 180_000, (say) => {
    const r = spawnSync(
      c.kubectl,
      ["--kubeconfig", c.kubeconfig, "create", "--dry-run=server", "-o", "json", "-f", "-"],
      { input: JSON.stringify(probe), encoding: "utf8", timeout: 60_000 },
    );
    if (
      r.status === 0 &&
      (JSON.parse(r.stdout) as { spec: { imageTaggingStrategy?: string } }).spec.imageTaggingStrategy
    )
      return true;
    say(r.status === 0 ? "accepted, but not defaulted: the mutating webhook was not called" : r.stderr.trim());
    return undefined;
  });
  // The default ClusterLifecycle, once the webhook that defaults and validates it answers.
  for (const text of config.custom) kubectl(c, ["apply", "-f", "-"], text);
  return { availableMs: t1 - t0, webhookMs: Date.now() - t1 };
}
