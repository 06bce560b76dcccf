/**
 * The bench's second reference builder: the same builder.toml as the e2e builder's, with the
 * upstream lifecycle built unpatched (scripts/fetch-stock-lifecycle.sh) in `[lifecycle]`, so
 * bench:build can set cnbkit's figures on the stock lifecycle beside its patched one's.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { withDirLock } from "../builder-packager/src/cache/index.js";
import { createBuilder } from "../builder-packager/src/builder/index.js";
import { sha256File } from "../tools/local-builder/reproducible-tarball.js";
import { ROOT } from "../test/e2e/support.js";

/** Where the stock builder and its builder.toml live (gitignored, kept between runs). */
export const STOCK_BUILDER_DIR = join(ROOT, ".cnbkit/bench/stock-builder");

/**
 * The upstream lifecycle with only the no-kaniko change, built on first use and cached in
 * ~/.cache/cnbkit/lifecycle/<version>-stock; returns that directory.
 */
export function stockLifecycleDir(): string {
  const r = spawnSync("bash", [join(ROOT, "scripts/fetch-stock-lifecycle.sh")], {
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
  await mkdir(STOCK_BUILDER_DIR, { recursive: true });
  return withDirLock(`${STOCK_BUILDER_DIR}.lock`, async () => {
    const text = stockBuilderToml(await readFile(builderToml, "utf8"), dirname(builderToml), lifecycle);
    const config = join(STOCK_BUILDER_DIR, "builder.toml");
    const image = join(STOCK_BUILDER_DIR, "image");
    const key = createHash("sha256")
      .update(text)
      .update(inputsDigest)
      .update(await sha256File(join(lifecycle, "lifecycle")))
      .update(await sha256File(join(lifecycle, "launcher")))
      .digest("hex");
    const stamp = join(STOCK_BUILDER_DIR, "inputs");
    if ((await readFile(stamp, "utf8").catch(() => "")) === key && existsSync(join(image, "index.json"))) {
      return `oci:${image}:latest`;
    }
    await rm(stamp, { force: true });
    await rm(image, { recursive: true, force: true });
    await writeFile(config, text);
    await createBuilder({ config, output: `oci:${image}:latest`, onProgress });
    await writeFile(stamp, key);
    return `oci:${image}:latest`;
  });
}
