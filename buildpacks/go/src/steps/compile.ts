/**
 * Step: the binaries, in the launch layer `app` (bin/<name>), keyed on everything they are made
 * from: the sources' digest, the Go version, the flags, the targets and the cgo setting. With
 * the key unchanged the layer is reused from the previous image and no go command runs (the
 * toolchain is not even installed). Otherwise the toolchain and the module and build caches
 * are set up, cgo is decided (cgo.ts), one `go build` compiles every target, and `go version -m`
 * reads what each binary links, for the SBOM (kept in the layer's metadata, so a reused layer
 * has it too). The cgo decision reads `go list -deps`, whose answer is kept in `go-build`'s
 * metadata under the digest of everything it depends on (the app's import heads and module
 * files, the Go version, flags, targets, arch, GO* settings), so an edit that changes no
 * import runs `go build` alone.
 *
 * In the native build of a multi-platform build, the other architectures' binaries are
 * cross-compiled here (GOARCH=arm64: the same sources, no qemu) and handed to their builds as
 * this layer's variants, which they restore instead of compiling under emulation.
 */
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import {
  type Layer,
  metadataSchema,
  type SbomComponent,
  type Settings,
  type StepContext,
  type ToolEnv,
  withChanges,
} from "@cnbkit/framework";
import { runTool } from "@cnbkit/framework/process";
import { type BuildInfo, buildInfoComponents, parseBuildInfo } from "../build-info.js";
import { flagsKey } from "../build-flags.js";
import { decideCgo } from "../cgo.js";
import { explainGo, goErrorLine } from "../go-errors.js";
import type { Target } from "../targets.js";
import { appGraph } from "./app-graph.js";
import { type GoBuildMetadata, goCaches, keepGoCaches } from "./go-caches.js";
import type { GoApp } from "./read-app.js";
import type { LazyToolchain, Toolchain } from "./toolchain.js";

/** The `app` layer's metadata: the binaries' names, cgo, and their SBOM components. */
export const BINARIES = metadataSchema({ binaries: "string[]", cgo: "boolean", sbom: "table[]" });

/** What {@link BINARIES} checks: the `app` layer's metadata, typed. */
type Binaries = { binaries: string[]; cgo: boolean; sbom: Record<string, unknown>[] };

/** Build env settings that change what the compiler writes, so the binaries are keyed on them. */
const OUTPUT_SETTINGS = ["GOFLAGS", "GOAMD64", "GOARM64", "GOEXPERIMENT", "CGO_CFLAGS", "CGO_LDFLAGS"] as const;

/** What the step reads. */
export interface CompileInputs {
  ctx: StepContext<"layers" | "multiPlatform" | "log" | "target" | "app">;
  settings: Settings;
  app: GoApp;
  targets: readonly Target[];
  /** `go build`'s flags (build-flags.ts). */
  flags: readonly string[];
  toolchain: LazyToolchain;
  /** The environment the go command runs in (settings, credentials). */
  env: ToolEnv;
  /** Runs before the first go command (writes go.work for BP_GO_WORK_USE). */
  prepare?: (go: Toolchain, env: ToolEnv) => Promise<void>;
}

/** The binaries, where they are. */
export interface Compiled {
  layer: Layer<Binaries>;
  binaries: Array<{ name: string; path: string }>;
}

/** Builds (or reuses) the binaries. */
export async function compile(i: CompileInputs): Promise<Compiled> {
  const { ctx } = i;
  let session: GoSession | undefined;
  const open = async () => {
    session ??= await goSession(i);
    return session;
  };
  const key = {
    sources: i.app.digest,
    go: i.toolchain.version,
    flags: flagsKey(i.flags),
    targets: i.targets.map((t) => `${t.pkg}=${t.name}`).join(":"),
    cgo: i.settings.CGO_ENABLED?.trim() ?? "auto",
    workUse: i.settings.BP_GO_WORK_USE?.trim() ?? "",
    env: OUTPUT_SETTINGS.map((k) => `${k}=${i.settings[k] ?? ""}`).join(" "),
  };
  const layer = await ctx.multiPlatform.cached("app", {
    // Launch only: a rebuild reuses the binaries from the previous image, and one without it
    // (a new tag) compiles from the cached GOCACHE in seconds; caching them too would store
    // every binary twice.
    types: { launch: true, cache: false },
    key,
    metadata: BINARIES,
    archVariants: true,
    fill: async (l) => {
      const s = await open();
      const cgo = await chooseCgo(i, s);
      const infos = await goBuild(i, s, join(l.path, "bin"), { CGO_ENABLED: cgo ? "1" : "0" });
      return { binaries: i.targets.map((t) => t.name), cgo, sbom: toTables(buildInfoComponents(infos)) };
    },
  });
  const variants = ctx.multiPlatform.variants;
  if (variants) {
    const s = await open();
    for (const arch of variants.reusers) await crossCompile(i, s, layer, arch);
  }
  if (!session) await keepGoCaches(ctx, i.toolchain.version);
  layer.sbom.add(...(layer.metadata.sbom as unknown as SbomComponent[]));
  return {
    layer,
    binaries: layer.metadata.binaries.map((name) => ({ name, path: join(layer.path, "bin", name) })),
  };
}

/** The toolchain installed, the caches declared, and the env the go command runs with. */
interface GoSession {
  go: string;
  env: ToolEnv;
  /** The `go-build` layer (GOCACHE), whose metadata keeps go list's answer about cgo. */
  build: Layer<GoBuildMetadata>;
}

async function goSession(i: CompileInputs): Promise<GoSession> {
  i.ctx.log.step("Go toolchain");
  const toolchain = await i.toolchain.get();
  const caches = await goCaches(i.ctx, i.toolchain.version, i.settings.GOFLAGS);
  const env = withChanges(i.env, toolchain.env, caches.env);
  await i.prepare?.(toolchain, env);
  return { go: toolchain.go, env, build: caches.build };
}

/**
 * Whether to build with cgo: which linked packages have cgo files (go list, or its kept
 * answer), and whether a C compiler is there (looked for every build: the build image may
 * change under an unchanged app).
 */
async function chooseCgo(i: CompileInputs, s: GoSession): Promise<boolean> {
  const { ctx } = i;
  ctx.log.step("cgo");
  const setting = i.settings.CGO_ENABLED?.trim();
  const cgoPackages = setting === "0" || setting === "1" ? [] : await linkedCgoPackages(i, s);
  const decision = decideCgo({
    ...(setting !== undefined ? { setting } : {}),
    cgoPackages,
    compiler: await hasCompiler(s.env),
  });
  ctx.log.detail(decision.reason);
  if (decision.warning) ctx.log.warn(decision.warning);
  return decision.enabled;
}

/**
 * The non-standard packages with cgo files that the targets link, from `go list -deps`; the
 * answer is kept in `go-build`'s metadata and reused while its key is unchanged, saying so.
 * Kept only once go list succeeds, so a failing build never leaves an answer behind.
 */
async function linkedCgoPackages(i: CompileInputs, s: GoSession): Promise<string[]> {
  const key = cgoKey({ ...i, graph: appGraph(i.app) });
  const kept = s.build.metadata;
  if (kept.cgoKey === key && kept.cgoPackages !== undefined) {
    i.ctx.log.detail("Reusing the cgo decision (imports unchanged)");
    return kept.cgoPackages;
  }
  const format = "{{if and .CgoFiles (not .Standard)}}cgo:{{.ImportPath}}{{end}}";
  const out = await runTool([s.go, "list", "-deps", ...i.flags, "-f", format, ...i.targets.map((t) => t.pkg)], {
    cwd: i.app.dir,
    env: { ...s.env, CGO_ENABLED: "1" },
    log: i.ctx.log,
    quiet: true,
    errorLine: goErrorLine,
    explain: explainGo,
  });
  const packages = out
    .split("\n")
    .filter((l) => l.startsWith("cgo:"))
    .map((l) => l.slice(4).trim());
  s.build.metadata = { ...kept, cgoKey: key, cgoPackages: packages };
  return packages;
}

/**
 * What go list's answer depends on, as one digest: the app's package graph inputs (`graph`:
 * its .go files' import heads and module files, app-graph.ts), the Go version (the standard library),
 * the flags (-tags, -mod), the targets, the architecture (file name and build constraints),
 * BP_GO_WORK_USE (the go.work the build writes) and every GO* and CGO_* setting (GOFLAGS,
 * GOWORK, GOEXPERIMENT...). The module cache's sources are fixed by go.sum, which is in it.
 */
export function cgoKey(
  i: Pick<CompileInputs, "toolchain" | "flags" | "targets" | "settings" | "ctx"> & { graph: string },
): string {
  const settings = Object.entries(i.settings)
    .filter(([k, v]) => /^(GO|CGO_)/.test(k) && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const inputs = {
    graph: i.graph,
    go: i.toolchain.version,
    flags: flagsKey(i.flags),
    targets: i.targets.map((t) => t.pkg),
    arch: i.ctx.target.arch,
    workUse: i.settings.BP_GO_WORK_USE?.trim() ?? "",
    settings,
  };
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

/** Whether $CC or gcc is on the build's PATH. */
async function hasCompiler(env: ToolEnv): Promise<boolean> {
  const cc = env.CC?.trim().split(/\s+/)[0] || "gcc";
  if (cc.includes("/"))
    return access(cc).then(
      () => true,
      () => false,
    );
  for (const dir of (env.PATH ?? "").split(delimiter).filter((d) => d)) {
    if (
      await access(join(dir, cc)).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

/**
 * Compiles every target into `out` (one go command when each binary has go's own name for it,
 * so shared packages compile once and in parallel) and reads their build infos.
 */
async function goBuild(
  i: CompileInputs,
  s: GoSession,
  out: string,
  extra: Record<string, string>,
): Promise<BuildInfo[]> {
  const { ctx } = i;
  ctx.log.step(`Compiling ${i.targets.map((t) => t.pkg).join(" ")}${extra.GOARCH ? ` for linux/${extra.GOARCH}` : ""}`);
  await mkdir(out, { recursive: true });
  const env = { ...s.env, ...extra };
  const run = (args: string[]) =>
    runTool([s.go, "build", ...i.flags, ...args], {
      cwd: i.app.dir,
      env,
      log: ctx.log,
      errorLine: goErrorLine,
      explain: explainGo,
    });
  const timer = ctx.log.timer();
  if (i.targets.every((t) => t.name === defaultName(t, i.app))) {
    await run(["-o", `${out}/`, ...i.targets.map((t) => t.pkg)]);
  } else {
    for (const t of i.targets) await run(["-o", join(out, t.name), t.pkg]);
  }
  ctx.log.detail(`Built ${i.targets.map((t) => t.name).join(", ")} in ${timer()}`);
  const files = i.targets.map((t) => join(out, t.name));
  const text = await runTool([s.go, "version", "-m", ...files], { cwd: i.app.dir, env, log: ctx.log, quiet: true });
  return splitBlocks(text).map(parseBuildInfo);
}

/** The name `go build -o dir/` gives target `t`: the module path's last element at a module root, else the dir's. */
function defaultName(t: Target, app: GoApp): string {
  const dir = t.pkg === "." ? "." : t.pkg.slice(2);
  const module = app.modules[dir];
  if (module === undefined) return dir.split("/").pop() ?? "";
  const parts = module.split("/");
  const last = parts.pop() ?? "";
  return /^v\d+$/.test(last) && parts.length > 0 ? (parts.pop() ?? "") : last;
}

/** `go version -m a b` prints one block per binary, each starting with an unindented line. */
function splitBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!/^\s/.test(line)) blocks.push(line);
    else if (blocks.length > 0) blocks[blocks.length - 1] += `\n${line}`;
  }
  return blocks;
}

/**
 * Cross-compiles the binaries for `arch` and stores them as the `app` layer's variant for that
 * architecture's build; declines, saying why, when cgo is on (no C cross-compiler here).
 */
async function crossCompile(i: CompileInputs, s: GoSession, layer: Layer<Binaries>, arch: string): Promise<void> {
  const variants = i.ctx.multiPlatform.variants;
  if (!variants || layer.key === undefined) return;
  if (layer.metadata.cgo) {
    await variants.declineVariant(arch, "app", "the binaries use cgo, and the build image has no C cross-compiler");
    return;
  }
  const work = await mkdtemp(join(tmpdir(), "cnbkit-go-cross-"));
  try {
    const infos = await goBuild(i, s, join(work, "bin"), { CGO_ENABLED: "0", GOARCH: arch });
    const metadata = { ...layer.metadata, sbom: toTables(buildInfoComponents(infos)) };
    await variants.saveVariant(arch, "app", layer.key, metadata, work);
  } catch (err) {
    // A variant only saves time: the other build compiles for itself instead.
    await variants.declineVariant(arch, "app", err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** SBOM components as TOML tables (no undefined values: TOML has none). */
function toTables(components: readonly SbomComponent[]): Record<string, unknown>[] {
  return components.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));
}
