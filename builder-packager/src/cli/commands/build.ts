/** `cnbkit build`: app source → app image, with the real lifecycle under runc. */
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
import { type Command, type Invocation, listOption, stringOption } from "../command.js";
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

/** `cnbkit build <app-dir> --builder <ref> --output <ref>`. */
export const buildCommand: Command = {
  name: "build",
  summary: "Build an app image from source with a builder, using the real lifecycle under runc",
  usage:
    "cnbkit build <app-dir> --builder <ref|oci:dir[:tag]> --output <oci:dir[:tag]|ref> [--platform <os/arch>]... [--buildpack <dir|.cnb|oci:dir|ref|id@version|from=builder>]... [--env K=V|NAME] [--env-file F] [--volume D:/platform/bindings/N] [--tag <ref>] [--default-process <type>] [--exec-env <name>] [--clear-cache]",
  description: [
    "--buildpack (repeatable) replaces the builder's order with the given buildpacks, as one group, in order:",
    "a source dir is compiled on the fly (an unchanged one comes from the cache). --buildpack from=builder (as pack)",
    "keeps the builder's order there: the buildpacks before and after it go around each of its groups. project.toml in the app",
    "(or --descriptor) gives the builder, include/exclude, build env and groups; flags win over it.",
    "--exec-env (default production) is the execution environment: with a lifecycle of Platform API 0.15, a",
    "buildpack whose buildpack.toml exec-env leaves it out does not run, and the builder's system buildpacks do.",
    "No Docker daemon: the builder's root filesystem is unpacked once per digest, and the lifecycle's",
    "creator runs in it under runc as the builder's CNB user. The build cache is kept per app, output image and platform.",
    "A builder of another architecture (arm64 on amd64) runs under qemu >= 8 (scripts/fetch-qemu.sh); as root,",
    "cnbkit registers it in binfmt_misc when it is missing. A phase with no output and no CPU time for",
    "--stall-timeout is stopped, with a line naming it; the output image is then left as it was.",
    "An untrusted builder (a registry builder that is not one of pack's known ones, or any builder with --phases)",
    "runs as five containers, analyze, detect, restore, build, export: registry credentials, the cache and the",
    "images reach only analyze, restore and export, never the buildpacks. A local builder (oci:, a dir) is trusted.",
    "Several --platform values build the app once per platform, all at once (a foreign one under qemu), and",
    "write ONE image index to --output and each --tag: one app image per platform. The tags move once, when every",
    "platform has built; a failure names the platform and leaves the output as it was. A --cache-dir,",
    "--sbom-output-dir and --report-output-dir get a subdir per platform (linux-amd64, linux-arm64); --sign-key",
    "seals each platform's image and the index. This machine's platform builds first, and the emulated ones",
    "restore what its buildpacks declare arch-neutral (a Maven-built jar, for one) instead of building it under",
    "qemu, when its key (the source digest, the tool versions) matches; --no-arch-neutral-reuse turns that off.",
    "A foreign platform's build runs this machine's build of the builder's lifecycle (analyze, export: the layout",
    "and gzip work) and of cnbkit buildpacks' Node.js runtime when cnbkit made them for both arches; the tools the",
    "buildpacks start (the app's Node.js, npm, pip, Maven) run under qemu. --no-native-lifecycle runs all under qemu.",
    "--secret id=<name>,src=<file>[,type=<type>] gives a credential file to the buildpacks for this build only, as a",
    "binding of that type (npmrc: .npmrc; maven: settings.xml; netrc: .netrc; pip, uv, poetry: index-url, the",
    "Python buildpack's index URL with its credentials). Before anything is written, every new layer of the image",
    "and of the cache is scanned for the values of every --secret and binding: a hit stops the build in one line",
    "naming the binding, the layer and the path, and the output and the cache stay as they were. So does a setuid",
    "or setgid file in a new layer; world-writable files are named in a warning (docs/untrusted-buildpacks.md).",
  ].join("\n"),
  positionals: { min: 1, max: 1, names: "<app-dir>" },
  examples: [
    "cnbkit build my-app --builder oci:out/builder:latest --output oci:out/app:latest",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --buildpack ./my-buildpack",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --buildpack from=builder --buildpack ./my-buildpack",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app -b cnbkit/nodejs -b ./my-buildpack --pre-buildpack cnbkit/ca-certificates --post-buildpack out/extra.cnb",
    "cnbkit build my-app -o oci:out/app --descriptor ci/project.toml --network none --pull-policy never",
    "cnbkit build my-app -B registry.example.com/acme/builder:1 -o registry.example.com/acme/app:1 --platform linux/arm64",
    "cnbkit build my-app -B oci:out/builder-multi -o oci:out/app:latest --platform linux/amd64 --platform linux/arm64",
    "cnbkit build my-app -B oci:out/builder-multi -o 127.0.0.1:5000/acme/app:1 --platform linux/amd64,linux/arm64 --sign-key cosign.key",
    "cnbkit build my-app -B oci:out/builder-multi -o oci:out/app-full:latest --platform linux/amd64,linux/arm64 --no-arch-neutral-reuse",
    "cnbkit build my-app -B oci:out/builder-multi -o oci:out/app-arm64:latest --platform linux/arm64 --no-native-lifecycle",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --env NODE_ENV=production --env BP_NODE_VERSION --env-file build.env",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --volume ./ca:/platform/bindings/ca --binding ca=./ca",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --secret id=npmrc,src=$HOME/.npmrc --secret id=pypi,src=index-url.txt,type=pip",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --run-image oci:out/base:run --cache-dir .cache/app --stall-timeout 10m",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --clear-cache --default-process worker --tag oci:out/app:v2",
    "cnbkit build my-app -B oci:out/builder -o oci:out/test-app --exec-env test",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --creation-time now --sbom-output-dir sbom --report-output-dir report",
    "cnbkit build my-app -B oci:out/builder -o 127.0.0.1:5000/acme/app:1 --sign-key cosign.key",
    "cnbkit build my-app -B oci:out/builder -o localhost:5000/acme/app --cache-image localhost:5000/acme/app-cache --previous-image localhost:5000/acme/app:1",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --phases --phase-flags kpack --platform-api 0.9",
    "cnbkit build my-app -B registry.example.com/acme/builder:1 -o oci:out/app --trust-builder",
  ],
  options: {
    builder: {
      type: "string",
      short: "B",
      value: "<ref>",
      help: "the builder image (oci:<dir>[:tag] or registry ref; default: project.toml's [io.buildpacks] builder)",
    },
    output: {
      type: "string",
      short: "o",
      value: "<ref>",
      help: "where the app image goes (oci:<dir>[:tag] or registry ref)",
    },
    env: {
      type: "string",
      short: "e",
      multiple: true,
      value: "K=V|NAME",
      help: "build-time environment for buildpacks; a bare NAME takes this shell's value, e.g. --env BP_NODE_VERSION",
    },
    "env-file": { type: "string", value: "<file>", help: "KEY=VALUE lines for build-time environment" },
    volume: {
      type: "string",
      multiple: true,
      value: "<dir>:/platform/bindings/<name>",
      help: "mount a service binding",
    },
    binding: { type: "string", multiple: true, value: "<name>=<dir>", help: "mount a service binding" },
    secret: {
      type: "string",
      multiple: true,
      value: "id=<name>,src=<file>[,type=<type>]",
      help: "a binding for this build only, made from one file; type (default: the id) is npmrc, yarnrc, maven, gradle, netrc, pip, uv or poetry",
    },
    "run-image": { type: "string", value: "<ref>", help: "override the builder's run image" },
    "cache-dir": {
      type: "string",
      value: "<dir>",
      help: "build cache directory (default: one per app, output image and platform, as pack keys it)",
    },
    platform: {
      type: "string",
      multiple: true,
      value: "<os/arch>[,<os/arch>]",
      help: "build for this platform, e.g. linux/arm64: its image of a multi-arch builder (default: this machine's); several (repeated or a comma list) make one image index",
    },
    "clear-cache": { type: "boolean", help: "empty the build cache first and restore no layers, e.g. --clear-cache" },
    "no-arch-neutral-reuse": {
      type: "boolean",
      help: "with several --platform: build each platform in full, reusing no arch-neutral layer of the native build",
    },
    "no-native-lifecycle": {
      type: "boolean",
      help: "for a foreign platform: run the builder's lifecycle and the buildpacks' Node.js under qemu too, not this machine's builds of them",
    },
    "default-process": {
      type: "string",
      value: "<type>",
      help: "the process the image starts by default, e.g. --default-process worker",
    },
    "exec-env": {
      type: "string",
      value: "<name>",
      help: "the execution environment buildpacks build for (default production; Platform API 0.15), e.g. --exec-env test",
    },
    tag: {
      type: "string",
      multiple: true,
      value: "<ref>",
      help: "also write the image here, e.g. --tag oci:out/app:v2",
    },
    "creation-time": {
      type: "string",
      value: "now|<epoch>",
      help: "the image's creation time, e.g. --creation-time now or 1700000000 (default: 1980, reproducible)",
    },
    "sbom-output-dir": {
      type: "string",
      value: "<dir>",
      help: "copy the build's SBOMs here, e.g. --sbom-output-dir out/sbom",
    },
    "report-output-dir": {
      type: "string",
      value: "<dir>",
      help: "copy the lifecycle's report.toml here, e.g. --report-output-dir out",
    },
    "cache-image": {
      type: "string",
      value: "<ref>",
      help: "keep the build cache in this registry image instead of a dir, e.g. --cache-image 127.0.0.1:5000/app-cache",
    },
    "previous-image": {
      type: "string",
      value: "<ref>",
      help: "reuse layers of this image instead of the output's, e.g. --previous-image oci:out/app:v1",
    },
    buildpack: {
      type: "string",
      short: "b",
      multiple: true,
      value: "<dir|.cnb|oci:dir|ref|id@version|from=builder>",
      help: "use these buildpacks, in order, instead of the builder's order (from=builder splices that order in), e.g. --buildpack ./my-buildpack --buildpack from=builder",
    },
    "pre-buildpack": {
      type: "string",
      multiple: true,
      value: "<dir|.cnb|oci:dir|ref|id@version>",
      help: "put this buildpack before every group, e.g. --pre-buildpack cnbkit/ca-certificates",
    },
    "post-buildpack": {
      type: "string",
      multiple: true,
      value: "<dir|.cnb|oci:dir|ref|id@version>",
      help: "put this buildpack after every group, e.g. --post-buildpack ./extra-buildpack",
    },
    descriptor: {
      type: "string",
      short: "d",
      value: "<file>",
      help: "the project descriptor (default: <app-dir>/project.toml), e.g. --descriptor ci/project.toml",
    },
    network: {
      type: "string",
      value: "isolated|host|none",
      help: "the build's network: isolated from this machine's loopback and the metadata address (default), this machine's, or none at all, e.g. --network host",
    },
    "pull-policy": {
      type: "string",
      value: "always|if-not-present|never",
      help: "when to fetch a registry builder (default if-not-present), e.g. --pull-policy always",
    },
    "sign-key": {
      type: "string",
      value: "<file>",
      help: "sign the image and attest its SLSA provenance and SBOMs before its tag moves, e.g. --sign-key cosign.key (password: COSIGN_PASSWORD)",
    },
    phases: {
      type: "boolean",
      help: "run analyze, detect, restore, build and export each in its own container (pack's untrusted flow), e.g. --phases",
    },
    "trust-builder": {
      type: "boolean",
      help: "run the creator in one container even for a registry builder pack does not know, e.g. --trust-builder",
    },
    "phase-flags": {
      type: "string",
      value: "cnbkit|kpack|tekton",
      help: "pass the phases the flags this platform's build passes (default cnbkit), e.g. --phase-flags tekton",
    },
    "platform-api": {
      type: "string",
      value: "<x.y>",
      help: "the Platform API the phases run at (default: the highest the flag set and the builder share: cnbkit 0.12-0.15, kpack 0.7-0.9, tekton 0.13), e.g. --platform-api 0.13",
    },
    "stall-timeout": {
      type: "string",
      value: "<duration>",
      help: "stop a phase that shows no output and no CPU time this long: 300, 90s, 5m; 0 = never (default: $CNBKIT_STALL_TIMEOUT or 5m)",
    },
  },
  async run(inv) {
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
  },
};

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
