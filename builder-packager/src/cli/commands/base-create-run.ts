/** What `cnbkit base create` does, loaded only when it runs (base-create.ts declares its usage and options). */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  BASE_FLAVORS,
  type BaseFlavor,
  ensureBaseImages,
  DEFAULT_DEBIAN_RELEASE,
  ensureMultiArchBaseImages,
  parseBaseTarget,
  parseDebianRelease,
} from "../../base/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";

/** Runs `cnbkit base create`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const output = stringOption(inv, "output");
  if (output && !output.startsWith("oci:")) throw new CnbError(`--output "${output}" must be oci:<dir>`);
  const arch = stringOption(inv, "arch");
  if (arch !== undefined && arch !== "amd64" && arch !== "arm64") {
    throw new CnbError(`--arch "${arch}" is not amd64 or arm64`);
  }
  const flavor = stringOption(inv, "flavor") ?? "standard";
  if (!BASE_FLAVORS.includes(flavor as BaseFlavor)) {
    throw new CnbError(`--flavor "${flavor}" is not ${BASE_FLAVORS.slice(0, -1).join(", ")} or ${BASE_FLAVORS.at(-1)}`);
  }
  const debian = stringOption(inv, "debian");
  const release = debian === undefined ? DEFAULT_DEBIAN_RELEASE : parseDebianRelease(debian, "--debian");
  const targets = listOption(inv, "target").map((t) => parseBaseTarget(t, "--target"));
  if (targets.length > 0 && arch !== undefined) throw new CnbError("give --arch or --target, not both");
  if (targets.length > 1) {
    if (!output) throw new CnbError("several --target need --output oci:<dir> (the image indexes go there)");
    const { build, run } = await ensureMultiArchBaseImages({
      arches: targets,
      output: resolve(output.slice(4)),
      flavor: flavor as BaseFlavor,
      release,
      onProgress: inv.err,
    });
    for (const r of [build, run]) {
      inv.out(`${r.role} image  ${r.ref}  ${r.digest}  (${r.images.map((i) => `linux/${i.arch}`).join(", ")})`);
    }
    return 0;
  }
  const one = targets[0] ?? arch;
  const { build, run } = await ensureBaseImages({
    ...(output ? { output: resolve(output.slice(4)) } : {}),
    ...(one ? { arch: one } : {}),
    flavor: flavor as BaseFlavor,
    release,
    onProgress: inv.err,
  });
  inv.out(`build image  ${build.ref}  ${build.digest}`);
  inv.out(`run image    ${run.ref}  ${run.digest}`);
  return 0;
}
