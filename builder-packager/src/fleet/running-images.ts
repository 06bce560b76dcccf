/**
 * What a cluster runs, as the kubelet reports it: every pod's containers (init containers
 * too), each by the image digest its `imageID` names, not by the tag its spec asked for. A
 * tag may have moved since the pod started; the digest is what is running.
 *
 * The pod list is read a page at a time (`limit` and `continue`), so a cluster of thousands of
 * pods is a few requests of bounded size.
 */
import http from "node:http";
import https from "node:https";
import { CnbError } from "@cnbkit/framework";
import type { Digest } from "../oci/index.js";
import { byRepositoryAndDigest, type RunningContainer, type UnresolvedContainer } from "./inventory.js";
import type { KubeConnection } from "./kube-connection.js";

/** One image digest that pods run, with every container running it. */
export interface RunningImage {
  /** `registry/repository`, normalized as the scan names repositories (`docker.io/library/nginx`). */
  repository: string;
  digest: Digest;
  containers: RunningContainer[];
}

/** What {@link runningImages} found. */
export interface ClusterImages {
  server: string;
  pods: number;
  images: RunningImage[];
  unresolved: UnresolvedContainer[];
}

interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
}
interface PodList {
  metadata?: { continue?: string };
  items?: {
    metadata: { namespace: string; name: string };
    status?: { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
  }[];
}

/**
 * Lists the pods of every namespace (or of `namespace`) and groups their containers by image
 * digest; one line when the API server can't be reached or refuses the listing.
 *
 * @example
 * const found = await runningImages(await kubeConnection({ env: process.env }));
 * // found.images: [{ repository: "127.0.0.1:5000/apps/node-hello", digest: "sha256:…", containers: [...] }]
 */
export async function runningImages(conn: KubeConnection, opts: { namespace?: string } = {}): Promise<ClusterImages> {
  const byImage = new Map<string, RunningImage>();
  const unresolved: UnresolvedContainer[] = [];
  const path = opts.namespace ? `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods` : "/api/v1/pods";
  // A service account bound by a Role (not a ClusterRole) may list its own namespace only.
  const refusedHint =
    "the identity needs to list pods (a ClusterRole with pods: list, bound to it)" +
    (!opts.namespace && conn.namespace ? `, or scan the namespace it names: --kube-namespace ${conn.namespace}` : "");
  let pods = 0;
  let next: string | undefined;
  do {
    const page = (await getJson(
      conn,
      `${path}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ""}`,
      refusedHint,
    )) as PodList;
    for (const pod of page.items ?? []) {
      pods++;
      const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      for (const s of statuses) {
        const where = { namespace: pod.metadata.namespace, pod: pod.metadata.name, container: s.name };
        const ref = repositoryDigest(s.imageID ?? "");
        if (!ref) {
          // A container still pulling has no imageID yet: nothing runs to name.
          if (s.imageID) {
            unresolved.push({
              ...where,
              image: s.image ?? "",
              why: `the kubelet names it ${s.imageID}, no repository digest`,
            });
          }
          continue;
        }
        const key = `${ref.repository}@${ref.digest}`;
        const entry = byImage.get(key) ?? { ...ref, containers: [] };
        entry.containers.push(where);
        byImage.set(key, entry);
      }
    }
    next = page.metadata?.continue || undefined;
  } while (next);
  const images = [...byImage.values()].sort(byRepositoryAndDigest);
  return { server: conn.server, pods, images, unresolved };
}

/**
 * The repository and digest of a kubelet `imageID`: containerd's `host/repo@sha256:…`, Docker's
 * `docker-pullable://repo@sha256:…`, with Docker Hub's short names made whole. Undefined for
 * an image id alone (`sha256:…`), which names a local image, not a registry's.
 */
export function repositoryDigest(imageID: string): { repository: string; digest: Digest } | undefined {
  const m = /^(?:docker-pullable:\/\/|docker:\/\/)?([^@]+)@(sha256:[0-9a-f]{64})$/.exec(imageID.trim());
  if (!m) return undefined;
  let repository = m[1]!;
  const first = repository.split("/")[0]!;
  if (!repository.includes("/") || !(first.includes(".") || first.includes(":") || first === "localhost")) {
    repository = `docker.io/${repository.includes("/") ? repository : `library/${repository}`}`;
  }
  return { repository, digest: m[2] as Digest };
}

/** GETs `path` from the API server as JSON; one line for every way it fails (`refusedHint` for 401 and 403). */
async function getJson(conn: KubeConnection, path: string, refusedHint: string): Promise<unknown> {
  const url = new URL(path, `${conn.server}/`);
  const client = url.protocol === "http:" ? http : https;
  const what = `the Kubernetes API at ${conn.server} (${conn.origin})`;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: "GET",
        headers: { accept: "application/json", ...(conn.token ? { authorization: `Bearer ${conn.token}` } : {}) },
        ...(conn.ca ? { ca: conn.ca } : {}),
        ...(conn.cert ? { cert: conn.cert } : {}),
        ...(conn.key ? { key: conn.key } : {}),
        rejectUnauthorized: conn.insecure !== true,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode === 200) {
            try {
              resolve(JSON.parse(body));
            } catch {
              reject(new CnbError(`${what} answered ${url.pathname} with something that is not JSON`));
            }
            return;
          }
          const message = (() => {
            try {
              return (JSON.parse(body) as { message?: string }).message;
            } catch {
              return body.slice(0, 200);
            }
          })();
          const hint = res.statusCode === 401 || res.statusCode === 403 ? refusedHint : undefined;
          reject(
            new CnbError(`${what} refused to list pods: HTTP ${res.statusCode}${message ? ` (${message})` : ""}`, {
              ...(hint ? { hint } : {}),
            }),
          );
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("no answer in 30 s")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(new CnbError(`cannot reach ${what}: ${err.code ?? err.message}`, { cause: err })),
    );
    req.end();
  });
}
