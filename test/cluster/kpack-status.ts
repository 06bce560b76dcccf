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

/** One condition of a kpack resource's status. */
interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * The state of a kpack resource in one line, read in one call: `<kind>/<name>: <Type>=<Status>
 * <Reason>: <message>` of the condition that names the cause. That is the first condition other
 * than `type` that is False (kpack puts a failed reconcile's error on UpToDate, and only a generic
 * "Builder has no latestImage" on Ready), else `type` itself. `status` is `type`'s status ("" while
 * the resource has none).
 */
export function conditionLine(
  c: Cluster,
  kind: string,
  name: string,
  ns?: string,
  type = "Ready",
): { status: string; text: string } {
  const json = get(c, [...(ns ? ["-n", ns] : []), kind, name], "{.status.conditions}");
  const conditions = (json ? JSON.parse(json) : []) as Condition[];
  const main = conditions.find((x) => x.type === type);
  const cause = conditions.find((x) => x.type !== type && x.status === "False") ?? main;
  const text = cause
    ? `${cause.type}=${cause.status}${cause.reason ? ` ${cause.reason}` : ""}${cause.message ? `: ${cause.message.replaceAll("\n", " ")}` : ""}`
    : `no ${type} condition yet`;
  return { status: main?.status ?? "", text: `${kind}/${name}: ${text}` };
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
