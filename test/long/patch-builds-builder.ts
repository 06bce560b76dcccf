/**
 * The local reference builder made with `patchBuilds` (tools/local-builder/local-node.ts): its
 * inventory has two builds of CPython 3.13 (3.13.5, 3.13.18) and of JRE 17 (17.0.19, 17.0.21),
 * so an app can be built on the older and patched onto the newer. Its own out dir and layout
 * beside the e2e builder's, made once per inputs digest, under a dir lock; the main job's and
 * CI's builder stays without the extra builds.
 */
import { localBuilder } from "../e2e/support.js";

/** The builder as `oci:<dir>:latest`, made (or remade) when its inputs changed. */
export function patchBuildsBuilder(onProgress: (line: string) => void = () => {}): Promise<string> {
  return localBuilder(
    { name: "builder-patch-builds", localDir: "reference-local-patch-builds", local: { patchBuilds: true } },
    onProgress,
  );
}
