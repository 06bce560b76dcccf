/**
 * The benches' second reference builders: the same builder.toml as the e2e builder's (or the
 * multi-arch one's), with the upstream lifecycle built unpatched
 * (scripts/fetch-stock-lifecycle.sh) in `[lifecycle]`, so bench:build and bench:multi-arch can
 * set cnbkit's figures on the stock lifecycle beside its patched one's.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { withDirLock } from "../builder-packager/src/cache/index.js";
import { createBuilder } from "../builder-packager/src/builder/index.js";
import { sha256File } from "../tools/local-builder/reproducible-tarball.js";
import { ROOT } from "../test/e2e/support.js";

/** Where the stock builder and its builder.toml live (gitignored, kept between runs). */
export const STOCK_BUILDER_DIR = join(ROOT, ".cnbkit/bench/stock-builder");

/** Where the linux/amd64 + linux/arm64 stock builder lives (gitignored, kept between runs). */
export const STOCK_MULTI_ARCH_BUILDER_DIR = join(ROOT, ".cnbkit/bench/stock-builder-multi-arch");

/**
 * The upstream lifecycle with only the no-kaniko change for `arch` (default this machine's),
 * built on first use and cached in ~/.cache/cnbkit/lifecycle/<version>-stock (the other
 * arch's in <version>-stock-<arch>); returns that directory.
 */
export function stockLifecycleDir(arch?: "amd64" | "arm64"): string {
  const r = spawnSync("bash", [join(ROOT, "scripts/fetch-stock-lifecycle.sh"), ...(arch ? [arch] : [])], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const dir = r.stdout.trim().split("\n").at(-1);
  if (r.status !== 0 || !dir) {
    throw new Error("scripts/fetch-stock-lifecycle.sh failed (its lines above say why); run it on its own to see");
  }
  return dir;
}

/**
 * `builderToml` (the e2e builder's) for the stock lifecycle at `lifecycle`: relative paths made
 * absolute (the copy lives elsewhere) and `[lifecycle]` pointed at that directory; nothing else
 * changes, so the two builders differ only in their lifecycle.
 */
export function stockBuilderToml(text: string, from: string, lifecycle: string): string {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(from, p));
  const out = text
    .replace(/^uri = "([^":]+)"$/gm, (_, p: string) => `uri = ${JSON.stringify(abs(p))}`)
    .replace(/^image = "oci:([^":]+):([^"]+)"$/gm, (_, p: string, tag: string) => `image = "oci:${abs(p)}:${tag}"`)
    .replace(/^\[lifecycle\]\nversion = "[^"]*"$/m, `[lifecycle]\nuri = ${JSON.stringify(lifecycle)}`);
  if (!out.includes(`uri = ${JSON.stringify(lifecycle)}`)) {
    throw new Error(`${from}: builder.toml has no [lifecycle] version line to point at the stock lifecycle`);
  }
  return out;
}

/**
 * The stock builder as `oci:<dir>:latest`, made again only when its builder.toml, the local
 * builder's inputs (`inputsDigest`) or the stock lifecycle changed, under a dir lock.
 */
export async function stockBuilder(
  builderToml: string,
  inputsDigest: string,
  onProgress: (line: string) => void = () => {},
): Promise<string> {
  const lifecycle = stockLifecycleDir();
  return cachedBuilder(
    { dir: STOCK_BUILDER_DIR, builderToml, inputsDigest, lifecycle, lifecycles: [lifecycle] },
    onProgress,
  );
}

/**
 * The multi-arch reference builder (test/e2e/multi-arch-java-builder.ts's `builderToml`) with
 * the stock lifecycle of each arch: `[lifecycle] uri` names `lifecycle-{arch}`, links in its dir
 * to each arch's stock build, as setup.sh's per-arch builds serve the patched one.
 */
export async function stockMultiArchBuilder(
  builderToml: string,
  inputsDigest: string,
  onProgress: (line: string) => void = () => {},
): Promise<string> {
  const dir = STOCK_MULTI_ARCH_BUILDER_DIR;
  const lifecycles = [stockLifecycleDir("amd64"), stockLifecycleDir("arm64")];
  await mkdir(dir, { recursive: true });
  for (const [i, arch] of ["amd64", "arm64"].entries()) {
    await rm(join(dir, `lifecycle-${arch}`), { force: true });
    await symlink(lifecycles[i] as string, join(dir, `lifecycle-${arch}`));
  }
  const lifecycle = join(dir, "lifecycle-{arch}");
  const targets = ["linux/amd64", "linux/arm64"];
  return cachedBuilder({ dir, builderToml, inputsDigest, lifecycle, lifecycles, targets }, onProgress);
}

/** What {@link cachedBuilder} makes a builder from. */
interface StockBuilderSpec {
  /** Where the builder, its builder.toml and its inputs stamp live. */
  dir: string;
  builderToml: string;
  inputsDigest: string;
  /** `[lifecycle] uri` of the copy. */
  lifecycle: string;
  /** The lifecycle directories it names, whose binaries are part of the inputs. */
  lifecycles: string[];
  /** `builder create --target`s, for a multi-arch builder. */
  targets?: string[];
}

/** The builder of `spec` as `oci:<dir>/image:latest`, made again only when its inputs changed. */
async function cachedBuilder(spec: StockBuilderSpec, onProgress: (line: string) => void): Promise<string> {
  await mkdir(spec.dir, { recursive: true });
  return withDirLock(`${spec.dir}.lock`, async () => {
    const text = stockBuilderToml(await readFile(spec.builderToml, "utf8"), dirname(spec.builderToml), spec.lifecycle);
    const config = join(spec.dir, "builder.toml");
    const image = join(spec.dir, "image");
    const hash = createHash("sha256").update(text).update(spec.inputsDigest);
    for (const l of spec.lifecycles) {
      hash.update(await sha256File(join(l, "lifecycle"))).update(await sha256File(join(l, "launcher")));
    }
    const key = hash.digest("hex");
    const stamp = join(spec.dir, "inputs");
    if ((await readFile(stamp, "utf8").catch(() => "")) === key && existsSync(join(image, "index.json"))) {
      return `oci:${image}:latest`;
    }
    await rm(stamp, { force: true });
    await rm(image, { recursive: true, force: true });
    await writeFile(config, text);
    await createBuilder({
      config,
      output: `oci:${image}:latest`,
      ...(spec.targets ? { targets: spec.targets } : {}),
      onProgress,
    });
    await writeFile(stamp, key);
    return `oci:${image}:latest`;
  });
}
