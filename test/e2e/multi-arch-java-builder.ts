/**
 * The local reference builder for linux/amd64 and linux/arm64 WITH cnbkit/java (what
 * `scripts/main.sh --multi-arch` makes), for the arch-neutral reuse test
 * (test/long/multi-arch-reuse.test.ts) and bench (bench/multi-arch.bench.ts). The CI
 * multi-arch e2e builds its own, without java (whose arm64 JDKs it does not use).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureMultiArchBaseImages } from "../../builder-packager/src/base/index.js";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { prepareMultiArchReferenceBuilder } from "../../tools/local-builder/multi-arch.js";
import { E2E_DIR } from "./support.js";

/**
 * The builder as `oci:<dir>:latest`, kept in .cnbkit/e2e/multi-arch-java (gitignored) and made
 * again only when its inputs (both arches' buildpackages and builder.toml) changed.
 */
export async function multiArchJavaBuilder(onProgress: (line: string) => void = () => {}): Promise<string> {
  const dir = join(E2E_DIR, "multi-arch-java");
  await mkdir(E2E_DIR, { recursive: true });
  return withDirLock(join(E2E_DIR, "multi-arch-java.lock"), async () => {
    const base = join(dir, "base");
    await ensureMultiArchBaseImages({ arches: ["amd64", "arm64"], output: base, onProgress });
    const multi = await prepareMultiArchReferenceBuilder({
      outDir: join(dir, "src"),
      baseLayout: base,
      java: true,
      onProgress,
    });
    const image = join(dir, "builder");
    const stamp = join(dir, "builder.inputs");
    const stale = (await readFile(stamp, "utf8").catch(() => "")) !== multi.inputsDigest;
    if (stale || !existsSync(join(image, "index.json"))) {
      await rm(stamp, { force: true });
      await createBuilder({
        config: multi.builderToml,
        output: `oci:${image}:latest`,
        targets: ["linux/amd64", "linux/arm64"],
        onProgress,
      });
      await writeFile(stamp, multi.inputsDigest);
    }
    return `oci:${image}:latest`;
  });
}
