/**
 * How `fleet scan --kubernetes` reaches a cluster's API server, found as kubectl finds it:
 * the first file of `$KUBECONFIG`, else `~/.kube/config`, else the pod's own service account
 * (a scan run as a CronJob inside the cluster). Resolved once, at the edge, into plain data
 * (a URL and the TLS and auth material), so the pod listing never reads kubeconfig again.
 *
 * Only what a kubeconfig can carry without running anything is supported: client
 * certificates, bearer tokens (inline or in a file) and basic CA/insecure settings. Exec and
 * auth-provider users (cloud CLIs) are refused in one line that says what to use instead.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { parse as parseYaml } from "yaml";

/** A cluster's API server and what a request to it needs. */
export interface KubeConnection {
  /** `https://host:port` (or http, for a test server). */
  server: string;
  /** Where this came from, for messages: `kubeconfig <path>, context <name>` or `the pod's service account`. */
  origin: string;
  /**
   * The namespace the context (or the pod's service account) names. The scan still reads
   * every namespace, as an inventory should; a refusal suggests this one.
   */
  namespace?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** `insecure-skip-tls-verify: true` in the kubeconfig. */
  insecure?: boolean;
}

/** Where the pod's service account is mounted (the same path in every pod). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

interface KubeconfigFile {
  "current-context"?: string;
  clusters?: { name: string; cluster?: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
  contexts?: { name: string; context?: { cluster?: string; user?: string; namespace?: string } }[];
}

/**
 * The connection for `context` (else the current one) of the kubeconfig kubectl would use, or
 * of the pod's service account when there is none; one line for each way that can fail.
 *
 * @example
 * const conn = await kubeConnection({ env: process.env });
 * // { server: "https://127.0.0.1:6443", origin: "kubeconfig /root/.kube/config, context kind", ... }
 */
export async function kubeConnection(opts: {
  env: NodeJS.ProcessEnv;
  context?: string;
  /** Where the service account would be mounted (tests point it elsewhere). */
  serviceAccountDir?: string;
}): Promise<KubeConnection> {
  const candidates = opts.env.KUBECONFIG
    ? opts.env.KUBECONFIG.split(":").filter(Boolean)
    : [join(opts.env.HOME ?? homedir(), ".kube", "config")];
  const file = candidates.find((p) => existsSync(p));
  if (file) return fromKubeconfig(file, opts.context);
  const sa = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (opts.env.KUBERNETES_SERVICE_HOST && existsSync(join(sa, "token"))) {
    if (opts.context)
      throw new CnbError(`--kube-context ${opts.context}: there is no kubeconfig, only the pod's service account`);
    return inCluster(opts.env, sa);
  }
  throw new CnbError(
    `--kubernetes: no kubeconfig at ${candidates.join(" or ")}, and this is not a pod with a service account`,
    { hint: "set KUBECONFIG to the cluster's kubeconfig (as kubectl uses it), or run the scan in a pod" },
  );
}

async function fromKubeconfig(path: string, wanted: string | undefined): Promise<KubeConnection> {
  let doc: KubeconfigFile;
  try {
    doc = (parseYaml(await readFile(path, "utf8")) ?? {}) as KubeconfigFile;
  } catch (err) {
    throw new CnbError(`kubeconfig ${path} is not YAML: ${err instanceof Error ? err.message.split("\n")[0] : err}`);
  }
  const name = wanted ?? doc["current-context"];
  const names = (doc.contexts ?? []).map((c) => c.name);
  if (!name) {
    throw new CnbError(`kubeconfig ${path} has no current-context`, {
      hint: `pass --kube-context (it has: ${names.join(", ") || "no contexts"})`,
    });
  }
  const context = doc.contexts?.find((c) => c.name === name)?.context;
  if (!context)
    throw new CnbError(`kubeconfig ${path} has no context "${name}" (it has: ${names.join(", ") || "none"})`);
  const origin = `kubeconfig ${path}, context ${name}`;
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== "string") {
    throw new CnbError(`${origin}: cluster "${context.cluster}" has no server`);
  }
  const user = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  if (user.exec || user["auth-provider"]) {
    const what = user.exec
      ? `an exec plugin (${(user.exec as { command?: string }).command ?? "?"})`
      : "an auth provider";
    throw new CnbError(`${origin}: user "${context.user}" signs in with ${what}, which cnbkit does not run`, {
      hint: "give the scan a kubeconfig with a token (kubectl create token <service-account>) or a client certificate",
    });
  }
  // Relative file paths in a kubeconfig are relative to the kubeconfig itself, as in kubectl.
  const base = dirname(path);
  const material = async (data: unknown, file: unknown, what: string): Promise<Buffer | undefined> => {
    if (typeof data === "string") return Buffer.from(data, "base64");
    if (typeof file !== "string") return undefined;
    const at = isAbsolute(file) ? file : join(base, file);
    return readFile(at).catch(() => {
      throw new CnbError(`${origin}: cannot read the ${what} ${at}`);
    });
  };
  const tokenFile = await material(undefined, user.tokenFile, "token file");
  const conn: KubeConnection = {
    server: cluster.server.replace(/\/+$/, ""),
    origin,
    ...(context.namespace ? { namespace: context.namespace } : {}),
    ...(cluster["insecure-skip-tls-verify"] === true ? { insecure: true } : {}),
  };
  const ca = await material(cluster["certificate-authority-data"], cluster["certificate-authority"], "CA file");
  const cert = await material(user["client-certificate-data"], user["client-certificate"], "client certificate");
  const key = await material(user["client-key-data"], user["client-key"], "client key");
  const token = typeof user.token === "string" ? user.token : tokenFile?.toString("utf8").trim();
  return {
    ...conn,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token } : {}),
  };
}

async function inCluster(env: NodeJS.ProcessEnv, dir: string): Promise<KubeConnection> {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const ca = existsSync(join(dir, "ca.crt")) ? await readFile(join(dir, "ca.crt")) : undefined;
  const namespace = existsSync(join(dir, "namespace"))
    ? (await readFile(join(dir, "namespace"), "utf8")).trim()
    : undefined;
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    origin: "the pod's service account",
    token: (await readFile(join(dir, "token"), "utf8")).trim(),
    ...(ca ? { ca } : {}),
    ...(namespace ? { namespace } : {}),
  };
}
