/**
 * `--kubernetes` of the fleet commands: the image digests a cluster's pods run. A module of its
 * own, imported only when the flag is given: reading a kubeconfig takes a YAML parser (~250 KB
 * of bundle) that a scan of registries alone never needs to parse.
 */
import { type ClusterImages, fmtCount, kubeConnection, runningImages } from "../../fleet/index.js";
import type { Invocation } from "../command.js";

/** The images the cluster of `--kube-context` (else the current one) runs, in `namespace` or all; one line on stderr. */
export async function readCluster(
  inv: Invocation,
  context: string | undefined,
  namespace: string | undefined,
): Promise<{ cluster: ClusterImages; source: string }> {
  const conn = await kubeConnection({ env: process.env, ...(context ? { context } : {}) });
  const cluster = await runningImages(conn, namespace ? { namespace } : {});
  inv.err(
    `Cluster ${conn.server}: ${fmtCount(cluster.pods)} pods run ${fmtCount(cluster.images.length)} image digests${cluster.unresolved.length ? `, ${fmtCount(cluster.unresolved.length)} containers without a repository digest (not scanned)` : ""}`,
  );
  return { cluster, source: `kubernetes:${conn.server}${namespace ? `/namespaces/${namespace}` : ""}` };
}
