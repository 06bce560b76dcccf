/** `cnbkit build`: app source → app image, with the real lifecycle under runc. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type Binding, buildApp, parseStallTimeout } from "../../platform/index.js";
import { parseTarget } from "../../package/index.js";
import { type Command, listOption, stringOption } from "../command.js";
import { absoluteRef } from "../refs.js";

/** Parses `K=V` pairs (from --env or an env file); a bad one is a one-line error naming where. */
export function parseEnvPairs(pairs: string[], where: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CnbError(`${where} "${pair}" is not KEY=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** `--volume <dir>:/platform/bindings/<name>` or `--binding <name>=<dir>` → a binding. */
export function parseBinding(spec: string, flag: "volume" | "binding"): Binding {
  if (flag === "binding") {
    const eq = spec.indexOf("=");
    if (eq <= 0) throw new CnbError(`--binding "${spec}" is not <name>=<dir>`);
    return { name: spec.slice(0, eq), dir: resolve(spec.slice(eq + 1)) };
  }
  const m = /^(.+):\/platform\/bindings\/([^/:]+)(?::ro)?$/.exec(spec);
  if (!m) throw new CnbError(`--volume "${spec}" must be <dir>:/platform/bindings/<name>`);
  return { name: m[2]!, dir: resolve(m[1]!) };
}

/** `cnbkit build <app-dir> --builder <ref> --output <ref>`. */
export const buildCommand: Command = {
  name: "build",
  summary: "Build an app image from source with a builder, using the real lifecycle under runc",
  usage:
    "cnbkit build <app-dir> --builder <ref|oci:dir[:tag]> --output <oci:dir[:tag]|ref> [--env K=V] [--env-file F] [--volume D:/platform/bindings/N]",
  description: [
    "No Docker daemon: the builder's root filesystem is unpacked once per digest, and the lifecycle's",
    "creator runs in it under runc as the builder's CNB user. The build cache is kept per app and builder.",
    "A builder of another architecture (arm64 on amd64) runs under qemu >= 8 (scripts/fetch-qemu.sh); as root,",
    "cnbkit registers it in binfmt_misc when it is missing. A phase with no output and no CPU time for",
    "--stall-timeout is stopped, with a line naming it; the output image is then left as it was.",
  ].join("\n"),
  positionals: { min: 1, max: 1, names: "<app-dir>" },
  options: {
    builder: {
      type: "string",
      short: "B",
      value: "<ref>",
      help: "the builder image (oci:<dir>[:tag] or registry ref)",
    },
    output: {
      type: "string",
      short: "o",
      value: "<ref>",
      help: "where the app image goes (oci:<dir>[:tag] or registry ref)",
    },
    env: { type: "string", short: "e", multiple: true, value: "K=V", help: "build-time environment for buildpacks" },
    "env-file": { type: "string", value: "<file>", help: "KEY=VALUE lines for build-time environment" },
    volume: {
      type: "string",
      multiple: true,
      value: "<dir>:/platform/bindings/<name>",
      help: "mount a service binding",
    },
    binding: { type: "string", multiple: true, value: "<name>=<dir>", help: "mount a service binding" },
    "run-image": { type: "string", value: "<ref>", help: "override the builder's run image" },
    "cache-dir": { type: "string", value: "<dir>", help: "build cache directory (default: one per app and builder)" },
    platform: {
      type: "string",
      value: "<os/arch>",
      help: "build for this platform, e.g. linux/arm64: its image of a multi-arch builder (default: this machine's)",
    },
    "stall-timeout": {
      type: "string",
      value: "<duration>",
      help: "stop a phase that shows no output and no CPU time this long: 300, 90s, 5m; 0 = never (default: $CNBKIT_STALL_TIMEOUT or 5m)",
    },
  },
  async run(inv) {
    const appDir = resolve(inv.positionals[0]!);
    const builder = stringOption(inv, "builder", true);
    const output = stringOption(inv, "output", true);
    const envFile = stringOption(inv, "env-file");
    const fileEnv = envFile
      ? parseEnvPairs(
          (
            await readFile(envFile, "utf8").catch(() => {
              throw new CnbError(`--env-file ${envFile}: cannot read it`);
            })
          )
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith("#")),
          `${envFile}:`,
        )
      : {};
    const runImage = stringOption(inv, "run-image");
    const cacheDir = stringOption(inv, "cache-dir");
    const platformText = stringOption(inv, "platform");
    const platform = platformText === undefined ? undefined : parseTarget(platformText, "--platform");
    const stall = stringOption(inv, "stall-timeout");
    const stallTimeoutMs = stall === undefined ? undefined : parseStallTimeout(stall, "--stall-timeout");
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    // \`on\`, not \`once\`: the handler must stay registered while the command runs, so the
    // container code (which kills its containers on a signal) sees that the CLI finishes
    // the work itself and does not re-raise the signal before views and temp dirs are released.
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const result = await buildApp({
        appDir,
        builder: builder.startsWith("oci:") ? absoluteRef(builder) : builder,
        output: absoluteRef(output),
        env: { ...fileEnv, ...parseEnvPairs(listOption(inv, "env"), "--env") },
        bindings: [
          ...listOption(inv, "volume").map((v) => parseBinding(v, "volume")),
          ...listOption(inv, "binding").map((b) => parseBinding(b, "binding")),
        ],
        ...(runImage ? { runImage: absoluteRef(runImage) } : {}),
        ...(cacheDir ? { cacheDir: resolve(cacheDir) } : {}),
        ...(stallTimeoutMs !== undefined ? { stallTimeoutMs } : {}),
        ...(platform ? { platform } : {}),
        onOutput: (line) => inv.out(line),
        signal: controller.signal,
        ...(inv.verbose ? { logLevel: "debug" as const } : {}),
      });
      inv.out(`Successfully built ${result.image} (${result.digest})`);
      return 0;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
