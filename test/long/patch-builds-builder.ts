/**
 * The local reference builder made with `patchBuilds` (tools/local-builder/local-node.ts): its
 * inventory has two builds of CPython 3.13 (3.13.5, 3.13.18) and of JRE 17 (17.0.19, 17.0.21),
 * so an app can be built on the older and patched onto the newer. Its own out dir and layout
 * beside the e2e builder's, made once per inputs digest, under a dir lock; the main job's and
 * CI's builder stays without the extra builds.
 */
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { prepareLocalReferenceBuilder } from "../../tools/local-builder/local-node.js";
import { BASE_LAYOUT, E2E_DIR } from "../e2e/support.js";

/** The builder as `oci:<dir>:latest`, made (or remade) when its inputs changed. */
export async function patchBuildsBuilder(onProgress: (line: string) => void = () => {}): Promise<string> {
  const dir = join(E2E_DIR, "builder-patch-builds");
  return withDirLock(join(E2E_DIR, "builder-patch-builds.lock"), async () => {
    await ensureBaseImages({ output: BASE_LAYOUT, onProgress });
    const local = await prepareLocalReferenceBuilder({
      outDir: join(E2E_DIR, "reference-local-patch-builds"),
      baseLayout: BASE_LAYOUT,
      patchBuilds: true,
      onProgress,
    });
    const stamp = join(E2E_DIR, "builder-patch-builds.inputs");
    const have = await readFile(stamp, "utf8").catch(() => "");
    if (have !== local.inputsDigest || !existsSync(join(dir, "index.json"))) {
      await rm(stamp, { force: true });
      await createBuilder({ config: local.builderToml, output: `oci:${dir}:latest`, onProgress });
      await writeFile(stamp, local.inputsDigest);
    }
    return `oci:${dir}:latest`;
  });
}
