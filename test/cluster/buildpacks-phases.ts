/**
 * A Tekton Task of the shape of the Tekton catalog's `buildpacks-phases` 0.3 (Platform API
 * 0.13), written for this suite, and the TaskRun and source volume that run it.
 *
 * As in the catalog task: a `source` workspace holds the app; a root `prepare` step gives
 * /layers and the source to the builder's user and writes /platform/env; then one step per
 * lifecycle phase, each in the builder image as the builder's user (analyzer, detector,
 * restorer, builder, exporter); a last step reads the exporter's report into the
 * APP_IMAGE_DIGEST result. /layers and /platform are emptyDirs shared by the steps.
 *
 * Where it differs, and why:
 * - The catalog's first step reads the builder's CNB_USER_ID, CNB_GROUP_ID and platform APIs with
 *   skopeo from quay.io, and its prepare and results steps run ubi8 images: none are reachable
 *   here, so the user and group are params and prepare and results run in the builder image.
 * - No step has a `script`: Tekton writes scripts with its shell image (cgr.dev's busybox), out
 *   of reach here; `command: [/bin/sh, -c, …]` runs the same shell in the builder image.
 * - No extender step (the reference builder has no extensions) and no cache workspace or image.
 * - An optional `ca-binding` workspace (a ConfigMap holding a `ca-certificates` binding) is
 *   mounted at /platform/bindings/ca: this machine reaches npm through a TLS proxy whose CA the
 *   build must trust; the catalog task has no such workspace.
 *
 * Registry credentials: none anywhere. The loopback registry takes pushes without them, the
 * service account has no secrets (so Tekton's creds-init has nothing to copy), and the TaskRun's
 * pod mounts no service-account token either.
 */

/** The Task's name, as in the catalog. */
export const TASK_NAME = "buildpacks-phases";

/** The Task, `tekton.dev/v1`. */
export function buildpacksPhasesTask(): object {
  const lifecycle = (name: string, bin: string, args: string[], extraMounts: object[] = []) => ({
    name,
    image: "$(params.CNB_BUILDER_IMAGE)",
    command: [`/cnb/lifecycle/${bin}`],
    args: ["-log-level=$(params.CNB_LOG_LEVEL)", ...args],
    volumeMounts: [{ name: "layers-dir", mountPath: "/layers" }, ...extraMounts],
  });
  const app = "-app=$(workspaces.source.path)/$(params.SOURCE_SUBPATH)";
  const ids = ["-uid=$(params.CNB_USER_ID)", "-gid=$(params.CNB_GROUP_ID)"];
  const platform = { name: "platform-dir", mountPath: "/platform" };
  return {
    apiVersion: "tekton.dev/v1",
    kind: "Task",
    metadata: { name: TASK_NAME },
    spec: {
      description:
        "Builds source into an image with Cloud Native Buildpacks, one lifecycle phase per step (Platform API 0.13).",
      workspaces: [
        { name: "source", description: "The app source." },
        {
          name: "ca-binding",
          description: "A service binding of type ca-certificates (keys type and ca.pem) for detect and build.",
          mountPath: "/platform/bindings/ca",
          readOnly: true,
          optional: true,
        },
      ],
      params: [
        { name: "APP_IMAGE", description: "The image to export." },
        { name: "CNB_BUILDER_IMAGE", description: "The builder image: its lifecycle runs every phase." },
        { name: "CNB_RUN_IMAGE", description: "The run image the app image is based on." },
        {
          name: "CNB_INSECURE_REGISTRIES",
          default: "",
          description: "Registries reached over plain HTTP, comma-separated.",
        },
        { name: "CNB_USER_ID", default: "1000", description: "The builder's CNB user." },
        { name: "CNB_GROUP_ID", default: "1000", description: "The builder's CNB group." },
        { name: "CNB_PLATFORM_API", default: "0.13" },
        { name: "CNB_LOG_LEVEL", default: "info" },
        { name: "CNB_PROCESS_TYPE", default: "web" },
        { name: "CNB_ENV_VARS", type: "array", default: [], description: "KEY=VALUE pairs for /platform/env." },
        { name: "SOURCE_SUBPATH", default: "" },
      ],
      results: [{ name: "APP_IMAGE_DIGEST", description: "The digest of the exported APP_IMAGE." }],
      stepTemplate: {
        env: [
          { name: "CNB_PLATFORM_API", value: "$(params.CNB_PLATFORM_API)" },
          { name: "CNB_INSECURE_REGISTRIES", value: "$(params.CNB_INSECURE_REGISTRIES)" },
        ],
      },
      steps: [
        {
          name: "prepare",
          image: "$(params.CNB_BUILDER_IMAGE)",
          securityContext: { runAsUser: 0, runAsGroup: 0 },
          command: ["/bin/sh", "-c"],
          args: [
            [
              "set -eu",
              'chown -R "$(params.CNB_USER_ID):$(params.CNB_GROUP_ID)" /layers "$(workspaces.source.path)"',
              "mkdir -p /platform/env",
              // The array param arrives as the script's arguments ($0 is the first word after -c's script).
              // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions
              'for kv in "$@"; do k="${kv%%=*}"; [ -n "$k" ] && [ "$k" != "$kv" ] && printf %s "${kv#*=}" >"/platform/env/$k"; done',
              "ls -la /platform/env",
            ].join("\n"),
            "prepare",
            "$(params.CNB_ENV_VARS[*])",
          ],
          volumeMounts: [{ name: "layers-dir", mountPath: "/layers" }, platform],
        },
        lifecycle("analyze", "analyzer", [
          "-layers=/layers",
          "-run-image=$(params.CNB_RUN_IMAGE)",
          ...ids,
          "$(params.APP_IMAGE)",
        ]),
        lifecycle(
          "detect",
          "detector",
          [app, "-group=/layers/group.toml", "-plan=/layers/plan.toml", "-layers=/layers", "-platform=/platform"],
          [platform],
        ),
        lifecycle("restore", "restorer", ["-group=/layers/group.toml", "-layers=/layers", ...ids]),
        lifecycle(
          "build",
          "builder",
          [app, "-layers=/layers", "-group=/layers/group.toml", "-plan=/layers/plan.toml", "-platform=/platform"],
          [platform],
        ),
        lifecycle("export", "exporter", [
          app,
          "-layers=/layers",
          "-group=/layers/group.toml",
          "-report=/layers/report.toml",
          "-process-type=$(params.CNB_PROCESS_TYPE)",
          ...ids,
          "$(params.APP_IMAGE)",
        ]),
        {
          name: "results",
          image: "$(params.CNB_BUILDER_IMAGE)",
          command: ["/bin/sh", "-c"],
          args: [
            "sed -n 's/^ *digest = \"\\(sha256:[0-9a-f]*\\)\"$/\\1/p' /layers/report.toml | head -n 1 | tr -d '\\n' >\"$(results.APP_IMAGE_DIGEST.path)\"; cat /layers/report.toml",
          ],
          volumeMounts: [{ name: "layers-dir", mountPath: "/layers" }],
        },
      ],
      volumes: [
        { name: "layers-dir", emptyDir: {} },
        { name: "platform-dir", emptyDir: {} },
      ],
    },
  };
}

/**
 * A PersistentVolume on a node directory and its claim: the `source` workspace, as a git-clone
 * task would have filled it. The claim is bound to this volume by name.
 */
export function sourceVolume(name: string, hostDir: string): object[] {
  return [
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        storageClassName: "cnbkit-host",
        persistentVolumeReclaimPolicy: "Retain",
        hostPath: { path: hostDir, type: "Directory" },
      },
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "cnbkit-host",
        volumeName: name,
        resources: { requests: { storage: "1Gi" } },
      },
    },
  ];
}

/** What one TaskRun of {@link buildpacksPhasesTask} builds. */
export interface BuildpacksPhasesRun {
  /** The TaskRun's name. */
  readonly name: string;
  /** The claim holding the app source ({@link sourceVolume}). */
  readonly sourceClaim: string;
  readonly builder: string;
  readonly runImage: string;
  /** `<registry>/<repo>:<tag>`; its registry is taken as plain HTTP. */
  readonly appImage: string;
  /** A ConfigMap holding a `ca-certificates` binding (`type`, `ca.pem`), when the build needs one ({@link caBindingConfigMap}). */
  readonly caBinding?: string;
}

/**
 * A ConfigMap that is a service binding of type `ca-certificates`: what the `ca-binding`
 * workspace mounts at /platform/bindings/ca. A CA certificate, not a secret.
 */
export function caBindingConfigMap(name: string, pem: string): object {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { type: "ca-certificates", "ca.pem": pem } };
}

/**
 * The TaskRun. Its pod runs on the host network (the loopback registry and the npm registry's
 * proxy are reached from there), with no service-account token.
 */
export function buildpacksPhasesTaskRun(run: BuildpacksPhasesRun): object {
  return {
    apiVersion: "tekton.dev/v1",
    kind: "TaskRun",
    metadata: { name: run.name },
    spec: {
      taskRef: { name: TASK_NAME },
      params: [
        { name: "APP_IMAGE", value: run.appImage },
        { name: "CNB_BUILDER_IMAGE", value: run.builder },
        { name: "CNB_RUN_IMAGE", value: run.runImage },
        { name: "CNB_INSECURE_REGISTRIES", value: run.appImage.split("/")[0] },
      ],
      workspaces: [
        { name: "source", persistentVolumeClaim: { claimName: run.sourceClaim } },
        ...(run.caBinding ? [{ name: "ca-binding", configMap: { name: run.caBinding } }] : []),
      ],
      podTemplate: { hostNetwork: true, dnsPolicy: "Default", automountServiceAccountToken: false },
      timeout: "15m",
    },
  };
}
