/** What `cnbkit build` does, loaded only when it runs (build.ts declares its usage and options). */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  type Binding,
  type BuildOptions,
  buildApp,
  parseFlagSet,
  parsePlatforms,
  parsePullPolicy,
  parseSecretFlag,
} from "../../platform/index.js";
import { type ContainerNetwork, parseStallTimeout } from "../../container/index.js";
import { noStartCommandWarning, parseExecEnv } from "../../platform/index.js";
import type { Digest } from "../../oci/index.js";
import { loadSigningKey, markSignedImage } from "../../supply-chain/index.js";
import { buildIndex, sealWith } from "./build-platforms.js";
import { listOption, stringOption, type Invocation } from "../command.js";
import { buildTimes } from "../build-times.js";
import { wantsColor } from "../color.js";
import { absoluteRef, imageRef } from "../refs.js";

/**
 * Parses `K=V` pairs (from --env or an env file); a bad one is a one-line error naming where.
 * With `host`, a bare `NAME` takes its value from there, as `pack build --env NAME` does.
 */
export function parseEnvPairs(pairs: string[], where: string, host?: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0 && host && /^[A-Za-z_][A-Za-z0-9_]*$/.test(pair)) {
      const value = host[pair];
      if (value === undefined) {
        throw new CnbError(`${where} ${pair}: ${pair} is not set in this environment; set it or give ${pair}=VALUE`);
      }
      env[pair] = value;
      continue;
    }
    if (eq <= 0) throw new CnbError(`${where} "${pair}" is not KEY=VALUE${host ? " or NAME" : ""}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** `--creation-time now|<epoch seconds>` → seconds since the epoch; anything else is one line. */
export function parseCreationTime(text: string, now: () => number = Date.now): number {
  if (text === "now") return Math.floor(now() / 1000);
  if (/^\d{1,12}$/.test(text)) return Number(text);
  throw new CnbError(
    `--creation-time "${text}" is not "now" or seconds since the epoch (e.g. 1700000000); leave it out for a reproducible date`,
  );
}

/** The pack-compatible flags of `cnbkit build`, as {@link buildApp} options. */
export function packBuildFlags(inv: Invocation): Partial<BuildOptions> {
  const opt = (name: string) => stringOption(inv, name);
  const creation = opt("creation-time");
  const cacheImage = opt("cache-image");
  const previous = opt("previous-image");
  const sbomDir = opt("sbom-output-dir");
  const reportDir = opt("report-output-dir");
  const defaultProcess = opt("default-process");
  const execEnv = opt("exec-env");
  const tags = listOption(inv, "tag");
  const network = opt("network");
  const pullPolicy = opt("pull-policy");
  const descriptor = opt("descriptor");
  const phaseFlags = opt("phase-flags");
  const platformApi = opt("platform-api");
  const adhoc = (name: string) => listOption(inv, name).map((b) => (b.startsWith("oci:") ? absoluteRef(b) : b));
  return {
    ...(adhoc("buildpack").length ? { buildpacks: adhoc("buildpack") } : {}),
    ...(adhoc("pre-buildpack").length ? { preBuildpacks: adhoc("pre-buildpack") } : {}),
    ...(adhoc("post-buildpack").length ? { postBuildpacks: adhoc("post-buildpack") } : {}),
    ...(descriptor !== undefined ? { descriptor: resolve(descriptor) } : {}),
    ...(network !== undefined ? { network: parseNetwork(network) } : {}),
    ...(pullPolicy !== undefined ? { pullPolicy: parsePullPolicy(pullPolicy) } : {}),
    ...(inv.values["clear-cache"] === true ? { clearCache: true } : {}),
    ...(defaultProcess !== undefined ? { defaultProcess } : {}),
    ...(execEnv !== undefined ? { execEnv: parseExecEnv(execEnv) } : {}),
    ...(tags.length ? { tags: tags.map(absoluteRef) } : {}),
    ...(creation !== undefined ? { creationTime: parseCreationTime(creation) } : {}),
    ...(sbomDir !== undefined ? { sbomOutputDir: resolve(sbomDir) } : {}),
    ...(reportDir !== undefined ? { reportOutputDir: resolve(reportDir) } : {}),
    ...(cacheImage !== undefined ? { cacheImage } : {}),
    ...(previous !== undefined ? { previousImage: absoluteRef(previous) } : {}),
    ...(inv.values["trust-builder"] === true ? { trustBuilder: true } : {}),
    ...(inv.values.phases === true ? { phases: true } : {}),
    ...(phaseFlags !== undefined ? { phaseFlags: parseFlagSet(phaseFlags) } : {}),
    ...(platformApi !== undefined ? { platformApi } : {}),
  };
}

/** `--network isolated|host|none`: the build (or app) container's network. */
export function parseNetwork(text: string): ContainerNetwork {
  if (text === "isolated" || text === "host" || text === "none") return text;
  throw new CnbError(
    `--network "${text}" is not isolated, host or none (isolated reaches the outside but not this machine's loopback or the metadata address, host shares this machine's network, none gives no network at all)`,
  );
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

/** Runs `cnbkit build`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const appDir = resolve(inv.positionals[0]!);
  // Bad platforms are one line before anything is read.
  const platforms = parsePlatforms(listOption(inv, "platform"));
  const options = await buildOptions(inv, appDir);
  // The key is read (and its password checked) before the build, not after twenty minutes of it.
  const signKeyFile = stringOption(inv, "sign-key");
  const signKey = signKeyFile ? await loadSigningKey(signKeyFile, { flag: "--sign-key" }) : undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  // \`on\`, not \`once\`: the handler must stay registered while the command runs, so the
  // container code (which kills its containers on a signal) sees that the CLI finishes
  // the work itself and does not re-raise the signal before views and temp dirs are released.
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const common = {
      ...options,
      signal: controller.signal,
      ...(inv.values["no-native-lifecycle"] === true ? { nativeLifecycle: false } : {}),
    };
    if (platforms.length > 1) {
      const share = inv.values["no-arch-neutral-reuse"] !== true;
      return await buildIndex(inv, { ...common, shareArchNeutral: share }, platforms, signKey);
    }
    const result = await buildApp({
      ...common,
      ...(platforms[0] ? { platform: platforms[0] } : {}),
      ...(signKey ? { seal: sealWith(inv, signKey, appDir) } : {}),
    });
    if (signKey) {
      for (const d of result.destinations) await markSignedImage(d.ref, result.digest as Digest);
    }
    for (const line of buildTimes(result.phases, result.totalMs)) inv.out(line);
    const noStart = await noStartCommandWarning(result.image, appDir);
    if (noStart) inv.err(noStart);
    inv.out(`Successfully built ${result.image} (${result.digest})`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The options of {@link buildApp} the flags give, for one platform or several. */
async function buildOptions(inv: Invocation, appDir: string): Promise<BuildOptions> {
  const builder = stringOption(inv, "builder");
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
  const stall = stringOption(inv, "stall-timeout");
  const stallTimeoutMs = stall === undefined ? undefined : parseStallTimeout(stall, "--stall-timeout");
  return {
    appDir,
    ...(builder ? { builder: imageRef(builder, { rootfs: true }) } : {}),
    output: absoluteRef(output),
    env: { ...fileEnv, ...parseEnvPairs(listOption(inv, "env"), "--env", process.env) },
    bindings: [
      ...listOption(inv, "volume").map((v) => parseBinding(v, "volume")),
      ...listOption(inv, "binding").map((b) => parseBinding(b, "binding")),
    ],
    secrets: listOption(inv, "secret").map(parseSecretFlag),
    ...(runImage ? { runImage: imageRef(runImage) } : {}),
    ...(cacheDir ? { cacheDir: resolve(cacheDir) } : {}),
    ...(stallTimeoutMs !== undefined ? { stallTimeoutMs } : {}),
    ...packBuildFlags(inv),
    onOutput: (line) => inv.out(line),
    ...(inv.verbose ? { logLevel: "debug" as const } : {}),
    color: wantsColor(process.stdout, process.env),
  };
}
