/**
 * `ctx.dependencies`: the dependency inventory of buildpack.toml `[metadata].dependencies`,
 * resolved for the build's target, downloaded through mirrors and bindings, verified, and
 * installed (into a layer of its own with {@link Dependencies.layer}).
 */
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { extract, formatFromName } from "../dependencies/index.js";
import { download, resolveUri } from "../dependencies/index.js";
import { type Dependency, dependencyComponent, resolveDependency } from "../dependencies/index.js";
import type { Layer, Layers, MetadataTable } from "../layers/index.js";
import type { Logger } from "../log/index.js";
import type { Bindings } from "../environment/bindings.js";
import type { BuildTarget, Environment } from "../environment/index.js";
import type { SbomComponent } from "../sbom/index.js";
import {
  type DependencyLayerOptions,
  dependencyLayer,
  type InstallOptions,
  type LazyDependencyLayer,
  lazyDependencyLayer,
} from "./dependency-layer.js";

/** A dependency from the inventory, with its SBOM entry at hand. */
export type ResolvedDependency = Dependency & {
  /** The SBOM component for this dependency (purl, CPEs, licenses, sha256). */
  component(): SbomComponent;
};

/** The inventory in `[metadata].dependencies`: `ctx.dependencies`. */
export class Dependencies {
  /** Every inventory entry. */
  readonly all: readonly Dependency[];

  constructor(
    inventory: readonly Dependency[],
    private readonly ctx: {
      target: BuildTarget;
      env: Environment;
      platform: { bindings: Bindings };
      log: Logger;
      /** The build's layers, for {@link Dependencies.layer}. */
      layers?: Layers;
    },
  ) {
    this.all = inventory;
  }

  /**
   * `dep`, verified and installed into the cached layer `name`, with its SBOM component:
   * keyed on the dependency (id, version, sha256, arch), cached unless launch-only or carried
   * by the builder (contract/dependency-layer.ts says why). `afterInstall` trims or configures
   * a new layer and returns its metadata.
   *
   * @example
   * const jdk = await ctx.dependencies.layer("jdk", ctx.dependencies.resolve("jdk", "21"), { types: { build: true } });
   * jdk.env.build.override("JAVA_HOME", jdk.path);
   */
  async layer<M extends object = MetadataTable>(
    name: string,
    dep: ResolvedDependency,
    options: DependencyLayerOptions<M>,
  ): Promise<Layer<M>> {
    return dependencyLayer(this.layerHost("layer"), name, dep, options);
  }

  /**
   * {@link Dependencies.layer} for a dependency only some builds need (a toolchain, when the
   * app's output is reused): a layer the cache holds under the same key is kept as it is,
   * without installing, so a later build that needs it still has it; otherwise nothing is
   * installed until a step calls `get()`. The same key, types and SBOM as `layer`; a launch
   * layer is installed at once.
   *
   * @example
   * const go = await ctx.dependencies.lazyLayer("go", dep, { types: { build: true } });
   * if (sourcesChanged) { const layer = await go.get(); await compile(join(layer.path, "bin/go")); }
   */
  async lazyLayer<M extends object = MetadataTable>(
    name: string,
    dep: ResolvedDependency,
    options: DependencyLayerOptions<M>,
  ): Promise<LazyDependencyLayer<M>> {
    return lazyDependencyLayer(this.layerHost("lazyLayer"), name, dep, options);
  }

  private layerHost(method: string) {
    const layers = this.ctx.layers;
    if (!layers) throw new Error(`ctx.dependencies.${method} needs the build's layers`);
    return {
      layers,
      log: this.ctx.log,
      arch: this.ctx.target.arch,
      onBuilder: (d: Dependency) => this.onBuilder(d),
      install: (d: Dependency, dest: string, o: InstallOptions) => this.install(d, dest, o),
    };
  }

  /**
   * The newest version of `id` satisfying `version` (a semver range; newest when omitted)
   * for the build's target OS, architecture and distro (an entry whose `distros` leave out the
   * run image's is skipped).
   */
  resolve(id: string, version?: string): ResolvedDependency {
    const { os, arch, distro } = this.ctx.target;
    const query = { id, os, arch, ...(distro ? { distro } : {}), ...(version ? { version } : {}) };
    const dep = resolveDependency(this.all, query, this.ctx.log);
    return { ...dep, component: () => dependencyComponent(dep) };
  }

  /**
   * Whether `dep` comes from the builder itself: a `file://` URI, as in an offline buildpackage,
   * or a dependency-mapping binding to one. A layer made only from such a dependency is not
   * worth caching: the lifecycle restores and re-hashes a cached layer on every build, needed
   * or not (~1 s per 200 MB), while installing it again from the builder when it is needed
   * costs about what the restore would.
   *
   * @example
   * const layer = await ctx.layers.cached("jdk", { types: { build: true, cache: !(await ctx.dependencies.onBuilder(dep)) }, key, fill });
   */
  async onBuilder(dep: Dependency): Promise<boolean> {
    const { uri } = await resolveUri(dep, this.ctx.env, this.ctx.platform.bindings.all);
    return uri.startsWith("file:");
  }

  /**
   * Downloads `dep` (verified, retried, mirrored) to a file in `destDir` and returns its path.
   * `log` takes its lines instead of the build's (see holdLines, for a download run ahead).
   */
  async download(dep: Dependency, destDir: string, options: { cacheDir?: string; log?: Logger } = {}): Promise<string> {
    return download(dep, destDir, {
      env: this.ctx.env,
      bindings: this.ctx.platform.bindings.all,
      log: options.log ?? this.ctx.log,
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    });
  }

  /**
   * Installs `dep` into `dest` (usually a layer path): archives (tar, tar.gz/xz/zst, zip)
   * are extracted with `strip` leading components removed; other files (and jars) are
   * copied in under their own name. The download is verified before anything lands in `dest`.
   * Returns the kept download's path when `keepDownloadIn` is given (for a `file://`
   * dependency, the buildpack's own copy, which is never copied).
   *
   * @example
   * await ctx.dependencies.install(dep, layer.path, { strip: 1, exclude: ["include"] });
   */
  async install(dep: Dependency, dest: string, options: InstallOptions = {}): Promise<string | undefined> {
    const tmp = options.keepDownloadIn ?? (await mkdtemp(join(tmpdir(), "cnbkit-dl-")));
    try {
      // A file:// dependency is read where it is: copying it first is a write (and a delete) of
      // the whole archive for nothing (58 MB for a Node.js tarball).
      const file = await download(dep, tmp, {
        env: this.ctx.env,
        bindings: this.ctx.platform.bindings.all,
        log: this.ctx.log,
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        inPlace: true,
      });
      await mkdir(dest, { recursive: true });
      // A .jar is installed as a file (Java tools run jars), though it is a zip.
      const format = /\.jar$/i.test(file) ? undefined : formatFromName(file);
      if (format) {
        await extract(file, dest, {
          strip: options.strip ?? dep.stripComponents ?? 0,
          format,
          ...(options.exclude ? { exclude: options.exclude } : {}),
        });
      } else {
        await copyFile(file, join(dest, basename(file)));
      }
      return options.keepDownloadIn ? file : undefined;
    } finally {
      if (!options.keepDownloadIn) await rm(tmp, { recursive: true, force: true });
    }
  }
}
