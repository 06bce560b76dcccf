/**
 * Ad-hoc buildpacks of one build (`--buildpack`, `--pre-buildpack`, `--post-buildpack`, and
 * project.toml's groups), put into the build's writable view of the builder as pack puts them
 * into its ephemeral builder: each buildpack's layer is applied under /cnb/buildpacks and
 * /cnb/order.toml is rewritten. Given buildpacks replace the builder's order as one group, in
 * the given order, unless one of them is `from=builder` (pack's name for the builder's
 * order): then those before it and after it go around each of the builder's groups. Pre and
 * post buildpacks go around every group. The cached builder is never
 * touched: only the per-build view changes, and a file is replaced, never written in place
 * (the view may be a hardlink copy).
 */
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { buildpackDirName, parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { RUNTIME_MODULE_ID } from "../../compile/index.js";
import type { Platform } from "../../oci/index.js";
import { type Component, openComponent, packageDirAsOci } from "../../package/index.js";
import { applyLayer } from "../../container/index.js";

/** A buildpack script written inline in project.toml (`[io.buildpacks.group.script]`). */
export interface InlineBuildpack {
  id: string;
  version: string;
  /** Buildpack API of the script. */
  api: string;
  /** The shell that runs it (default /bin/sh). */
  shell: string;
  /** The body of bin/build. */
  inline: string;
}

/** One ad-hoc buildpack: a reference (dir, .cnb, oci:, registry ref, id[@version]) or an inline script. */
export type AdhocBuildpack = { ref: string; where: string } | { inline: InlineBuildpack; where: string };

/** The ad-hoc buildpacks of a build; `group` (when given) replaces the builder's order. */
export interface AdhocOrder {
  group?: AdhocBuildpack[];
  pre?: AdhocBuildpack[];
  post?: AdhocBuildpack[];
}

/** What {@link applyAdhocOrder} needs besides the order. */
export interface AdhocContext {
  /** Relative paths resolve against this directory. */
  baseDir: string;
  /** Scratch space (packaged source dirs, imported .cnb files); removed by the caller. */
  workDir: string;
  /** The builder's platform: a buildpackage's image of it is used, a source dir compiled for it. */
  platform: Platform;
  say: (line: string) => void;
}

/** An entry of /cnb/order.toml. */
interface GroupEntry {
  id: string;
  version: string;
  optional?: boolean;
}

/** True when the build has ad-hoc buildpacks to apply. */
export function hasAdhocBuildpacks(order: AdhocOrder): boolean {
  return Boolean(order.group?.length || order.pre?.length || order.post?.length);
}

/**
 * Puts the buildpacks of `order` into the builder view at `root` and rewrites its
 * /cnb/order.toml. Throws one line for a reference that is not a buildpack, or an id the
 * builder lacks (listing what it has).
 *
 * @example
 * await applyAdhocOrder(view.path, { group: [{ ref: "./my-buildpack", where: "--buildpack" }] },
 *   { baseDir: process.cwd(), workDir, platform: builder.platform, say: console.log });
 */
export async function applyAdhocOrder(root: string, order: AdhocOrder, ctx: AdhocContext): Promise<void> {
  if (!hasAdhocBuildpacks(order)) return;
  const have = await builderBuildpacks(root);
  const resolveAll = async (list: AdhocBuildpack[] | undefined): Promise<GroupEntry[]> => {
    const out: GroupEntry[] = [];
    for (const bp of list ?? []) out.push(await installAdhoc(root, bp, have, ctx));
    return out;
  };
  const splice = spliceAt(order.group);
  const pre = await resolveAll(order.pre);
  // `from=builder` among the given buildpacks: the ones before it and after it go around each
  // of the builder's groups, as pack splices them (a CA buildpack need not be named again).
  const before = splice === undefined ? [] : await resolveAll(order.group?.slice(0, splice));
  const after = splice === undefined ? [] : await resolveAll(order.group?.slice(splice + 1));
  const group = splice === undefined && order.group?.length ? await resolveAll(order.group) : undefined;
  const post = await resolveAll(order.post);
  const groups = group ? [group] : await builderOrder(root);
  const toml = stringifyToml({
    order: groups.map((g) => ({ group: [...pre, ...before, ...g, ...after, ...post].map(orderEntry) })),
  });
  await replaceFile(join(root, "cnb/order.toml"), toml);
  const names = (g: GroupEntry[]) => g.map((e) => `${e.id}@${e.version}`).join(", ");
  const around = (a: GroupEntry[], b: GroupEntry[]) =>
    `${names(a)}${a.length ? " before" : ""}${a.length && b.length ? " and " : ""}${names(b)}${b.length ? " after" : ""}`;
  if (group) ctx.say(`Using buildpacks ${names([...pre, ...group, ...post])} instead of the builder's order`);
  else if (splice !== undefined && !pre.length && !before.length && !after.length && !post.length)
    ctx.say("Using the builder's order (--buildpack from=builder)");
  else if (splice !== undefined)
    ctx.say(
      `Using the builder's order (from=builder) with ${around([...pre, ...before], [...after, ...post])} every group`,
    );
  else
    ctx.say(`Adding ${names(pre)}${pre.length && post.length ? " before and " : ""}${names(post)} around every group`);
}

/** pack's name for the builder's whole order among `--buildpack`s. */
const FROM_BUILDER = "from=builder";

/** Where `from=builder` is among the given buildpacks (undefined: absent); only once, as pack allows. */
function spliceAt(group: AdhocBuildpack[] = []): number | undefined {
  const at = group.flatMap((bp, i) => ("ref" in bp && bp.ref === FROM_BUILDER ? [i] : []));
  if (at.length > 1) {
    const where = group[at[0] as number]?.where ?? "--buildpack";
    throw new CnbError(`${where} ${FROM_BUILDER} is given ${at.length} times; the builder's order goes in once`);
  }
  return at[0];
}

function orderEntry(e: GroupEntry): TomlTable {
  // An entry of the builder's order may leave the version out: the lifecycle then takes the only one.
  return { id: e.id, ...(e.version ? { version: e.version } : {}), ...(e.optional ? { optional: true } : {}) };
}

/** Installs one ad-hoc buildpack into `root` (unless it names one the builder has) and returns its group entry. */
async function installAdhoc(
  root: string,
  bp: AdhocBuildpack,
  have: GroupEntry[],
  ctx: AdhocContext,
): Promise<GroupEntry> {
  if ("inline" in bp) return installInline(root, bp.inline);
  const fromBuilder = builderRef(bp.ref, have, bp.where);
  if (fromBuilder) return fromBuilder;
  const component = await openAdhoc(bp, ctx);
  const image = await component.forPlatform(ctx.platform);
  const modules = [];
  for (const m of image.modules) {
    const dir = join(root, "cnb/buildpacks", buildpackDirName(m.id), m.version);
    const had = await stat(dir).catch(() => undefined);
    // The Node runtime's id@version names its bytes (runtime-module.ts): the builder's copy is
    // this one, and unpacking ~116 MB again would cost seconds on every build.
    if (had && m.id === RUNTIME_MODULE_ID) continue;
    // pack overwrites a buildpack the builder has with the same id and version: the author's edit wins.
    if (had) await rm(dir, { recursive: true, force: true });
    modules.push(m);
  }
  const layers = new Map(modules.map((m) => [m.layer.digest, m]));
  for (const m of layers.values()) await applyLayer(await m.source.blob(m.layer.digest), m.layer, root);
  ctx.say(`Added ${image.main.id}@${image.main.version} from ${bp.ref}`);
  return { id: image.main.id, version: image.main.version };
}

/**
 * A reference that names a buildpack of the builder (`id`, `id@version`,
 * `urn:cnb:builder:id[@version]`, or pack's `from=builder:id[@version]`).
 */
function builderRef(ref: string, have: GroupEntry[], where: string): GroupEntry | undefined {
  const prefix = ["urn:cnb:builder:", `${FROM_BUILDER}:`].find((p) => ref.startsWith(p));
  const urn = prefix !== undefined;
  const text = prefix ? ref.slice(prefix.length) : ref;
  const at = text.lastIndexOf("@");
  // `repo@sha256:...` is a registry reference by digest, not an id@version.
  const isIdVersion = at > 0 && !text.slice(at + 1).includes(":");
  const id = isIdVersion ? text.slice(0, at) : text;
  const version = isIdVersion ? text.slice(at + 1) : undefined;
  const matching = have.filter((b) => b.id === id && (version === undefined || b.version === version));
  if (matching.length === 1) return matching[0];
  if (matching.length > 1) {
    throw new CnbError(
      `${where} ${ref}: the builder has ${matching.map((b) => `${b.id}@${b.version}`).join(", ")}; give the version (${id}@<version>)`,
    );
  }
  if (urn || isIdVersion) {
    const list = have.map((b) => `${b.id}@${b.version}`).join(", ") || "none";
    throw new CnbError(`${where} ${ref}: the builder has no such buildpack; it has ${list}`);
  }
  return undefined;
}

/** Opens a buildpack reference as a buildpackage, packaging a source or compiled dir on the fly. */
async function openAdhoc(bp: { ref: string; where: string }, ctx: AdhocContext): Promise<Component> {
  const path = resolve(ctx.baseDir, bp.ref);
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory()) await checkBuildpackDir(path, bp);
  const target = `${ctx.platform.os}/${ctx.platform.architecture}`;
  const options = {
    baseDir: ctx.baseDir,
    workDir: ctx.workDir,
    targets: [target],
    // The packager's compile and layer caches: an unchanged buildpack is neither rebundled nor re-gzipped.
    packageDir: packageDirAsOci({ onProgress: ctx.say }),
  };
  try {
    return await openComponent({ uri: bp.ref }, bp.where, options);
  } catch (err) {
    if (!(err instanceof CnbError)) throw err;
    const msg = err.message.startsWith(bp.where) ? err.message : `${bp.where} ${bp.ref}: ${err.message}`;
    // A path that is not there needs no lecture on what a buildpack is.
    const what = st ? "; it is not a buildpack (a source or compiled dir, .cnb, oci:<dir> or image)" : "";
    throw new CnbError(`${msg}${what}`, { cause: err });
  }
}

/** A directory given as a buildpack must have buildpack.toml, package.toml or an OCI layout. */
async function checkBuildpackDir(path: string, bp: { ref: string; where: string }): Promise<void> {
  const names = await readdir(path);
  if (names.some((n) => n === "buildpack.toml" || n === "package.toml" || n === "oci-layout")) return;
  const found = names.length ? names.sort().slice(0, 8).join(", ") + (names.length > 8 ? ", ..." : "") : "nothing";
  throw new CnbError(
    `${bp.where} ${bp.ref} is not a buildpack: the directory has no buildpack.toml, package.toml or oci-layout (found ${found})`,
  );
}

/** Writes an inline script buildpack as pack does: bin/detect passes, bin/build runs the script. */
async function installInline(root: string, bp: InlineBuildpack): Promise<GroupEntry> {
  const dir = join(root, "cnb/buildpacks", buildpackDirName(bp.id), bp.version);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "bin"), { recursive: true });
  await writeFile(
    join(dir, "buildpack.toml"),
    stringifyToml({ api: bp.api, buildpack: { id: bp.id, version: bp.version }, stacks: [{ id: "*" }] }),
  );
  await writeFile(join(dir, "bin/detect"), `#!${bp.shell}\n\nexit 0\n`);
  await writeFile(join(dir, "bin/build"), `#!${bp.shell}\n\nset -e\n${bp.inline}\n`);
  await Promise.all(["bin/detect", "bin/build"].map((f) => chmod(join(dir, f), 0o755)));
  return { id: bp.id, version: bp.version };
}

/** The buildpacks under the builder's /cnb/buildpacks, from their buildpack.toml. */
async function builderBuildpacks(root: string): Promise<GroupEntry[]> {
  const base = join(root, "cnb/buildpacks");
  const found: GroupEntry[] = [];
  for (const idDir of await readdir(base).catch(() => [] as string[])) {
    for (const version of await readdir(join(base, idDir)).catch(() => [] as string[])) {
      const file = join(base, idDir, version, "buildpack.toml");
      const text = await readFile(file, "utf8").catch(() => undefined);
      if (text === undefined) continue;
      const doc = parseToml(text, `builder /cnb/buildpacks/${idDir}/${version}/buildpack.toml`);
      const id = ((doc.buildpack ?? doc.extension) as TomlTable | undefined)?.id;
      if (typeof id === "string") found.push({ id, version });
    }
  }
  return found.sort((a, b) => `${a.id}@${a.version}`.localeCompare(`${b.id}@${b.version}`));
}

/** The groups of the builder's /cnb/order.toml. */
async function builderOrder(root: string): Promise<GroupEntry[][]> {
  const text = await readFile(join(root, "cnb/order.toml"), "utf8").catch(() => "");
  const doc = parseToml(text, "builder /cnb/order.toml");
  return ((doc.order as TomlTable[] | undefined) ?? []).map((o) =>
    ((o.group as TomlTable[] | undefined) ?? []).map((e) => ({
      id: String(e.id),
      version: String(e.version ?? ""),
      ...(e.optional === true ? { optional: true } : {}),
    })),
  );
}

/** Replaces `file` (never writes into it: in a hardlink-copy view it is the cached builder's file). */
async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.cnbkit-new`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
