/** What `cnbkit builder create` does, loaded only when it runs (builder-create.ts declares its usage and options). */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { createBuilder } from "../../builder/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";
import { absoluteRef } from "../refs.js";

/** Runs `cnbkit builder create`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const output = stringOption(inv, "output");
  const publish = stringOption(inv, "publish");
  if (!output === !publish) throw new CnbError("give exactly one of --output oci:<dir> or --publish <ref>");
  const target = output ?? publish!;
  if (output && !output.startsWith("oci:")) {
    throw new CnbError(`--output "${output}" must be an OCI layout, oci:<dir>[:tag]`, {
      hint: "Use --publish <ref> to push to a registry.",
    });
  }
  const result = await createBuilder({
    config: resolve(inv.positionals[0]!),
    output: absoluteRef(target),
    targets: listOption(inv, "target"),
    runImageRepo: stringOption(inv, "run-image-repo"),
    onProgress: inv.err,
    store: { insecure: inv.values["insecure-registry"] === true },
  });
  inv.out(`Created builder with ${result.buildpacks.length} buildpacks for ${result.targets.join(", ")}`);
  inv.out(`  ${result.output} (${result.digest})`);
  return 0;
}
