/**
 * One line from the Kubernetes status of a kpack resource, a build or a pod: what the cluster
 * suite prints (and its failure tests assert) when something does not become Ready, in place
 * of a dump of YAML. Each line names the object, the condition's reason and message, or the
 * first container that waits or failed and why, as the kubelet and kpack wrote them.
 */
import { spawnSync } from "node:child_process";
import type { Cluster } from "./support.js";

/** kubectl get … -o jsonpath=…, or "" when the object is not there (yet). */
function get(c: Cluster, args: string[], jsonpath: string): string {
  const r = spawnSync(c.kubectl, ["--kubeconfig", c.kubeconfig, "get", ...args, "-o", `jsonpath=${jsonpath}`], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return r.status === 0 ? r.stdout.trim() : "";
}

/** The Ready condition of a kpack resource: its status ("True", "False", "Unknown" or "") and one line. */
export function conditionLine(
  c: Cluster,
  kind: string,
  name: string,
  ns?: string,
  type = "Ready",
): { status: string; text: string } {
  const args = [...(ns ? ["-n", ns] : []), kind, name];
  const cond = (f: string) => get(c, args, `{.status.conditions[?(@.type=="${type}")].${f}}`);
  const status = cond("status");
  const reason = cond("reason");
  const message = cond("message").replaceAll("\n", " ");
  return {
    status,
    text: `${kind}/${name}: ${type}=${status || "?"}${reason ? ` ${reason}` : ""}${message ? `: ${message}` : ""}`,
  };
}

/**
 * Why pod `name`'s first unhappy container is not running, in one line:
 * `pod/<name>: <container>: ErrImagePull: <the kubelet's message>`, or the last Warning event
 * about the pod (FailedMount, FailedScheduling) when no container says; "" when all is well.
 */
export function podWaitingLine(c: Cluster, name: string, ns = "default"): string {
  const states = get(
    c,
    ["-n", ns, "pod", name],
    '{range .status.initContainerStatuses[*]}{.name}{"\\t"}{.state.waiting.reason}{"\\t"}{.state.waiting.message}{"\\t"}{.state.terminated.exitCode}{"\\t"}{.state.terminated.reason}{"\\t"}{.state.terminated.message}{"\\n"}{end}{range .status.containerStatuses[*]}{.name}{"\\t"}{.state.waiting.reason}{"\\t"}{.state.waiting.message}{"\\t"}{.state.terminated.exitCode}{"\\t"}{.state.terminated.reason}{"\\t"}{.state.terminated.message}{"\\n"}{end}',
  );
  for (const row of states.split("\n")) {
    const [container, waiting, waitingMessage, exit, terminated, terminatedMessage] = row.split("\t");
    if (waiting && waiting !== "PodInitializing" && waiting !== "ContainerCreating")
      return `pod/${name}: ${container}: ${waiting}: ${(waitingMessage ?? "").replaceAll("\n", " ")}`;
    if (exit && exit !== "0")
      return `pod/${name}: ${container}: exit ${exit} (${terminated})${terminatedMessage ? `: ${terminatedMessage.trim().split("\n").pop()}` : ""}`;
  }
  const events = get(
    c,
    ["-n", ns, "events", "--field-selector", `involvedObject.name=${name},type=Warning`],
    '{range .items[*]}{.reason}{": "}{.message}{"\\n"}{end}',
  );
  const last = events.split("\n").filter(Boolean).pop();
  return last ? `pod/${name}: ${last}` : "";
}

/** One line for kpack Build `name`: its Succeeded condition, and why its pod failed or waits. */
export function kpackBuildLine(c: Cluster, name: string, ns = "default"): string {
  const cond = conditionLine(c, "build", name, ns, "Succeeded");
  const pod = get(c, ["-n", ns, "build", name], "{.status.podName}");
  const why = pod ? podWaitingLine(c, pod, ns) : "";
  return why ? `${cond.text}; ${why}` : cond.text;
}
