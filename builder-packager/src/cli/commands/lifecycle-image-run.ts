/** What `cnbkit lifecycle image` does, loaded only when it runs (lifecycle-image.ts declares its usage and options). */
import { CnbError } from "@cnbkit/framework";
import { createLifecycleImage } from "../../lifecycle-image/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";
import { absoluteRef } from "../refs.js";

/** Runs `cnbkit lifecycle image`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const version = stringOption(inv, "version");
  const output = stringOption(inv, "output");
  if (!version) throw new CnbError("cnbkit lifecycle image: --version is required", { hint: "e.g. --version 0.21.17" });
  if (!output) {
    throw new CnbError("cnbkit lifecycle image: --output is required", {
      hint: "e.g. --output oci:out/lifecycle or --output registry.internal/buildpacksio/lifecycle:0.21.17",
    });
  }
  const started = Date.now();
  const result = await createLifecycleImage({
    version,
    output: absoluteRef(output),
    targets: listOption(inv, "target"),
    caBundle: stringOption(inv, "ca-bundle"),
    onProgress: inv.err,
    store: { insecure: inv.values["insecure-registry"] === true },
  });
  inv.out(
    `Made lifecycle ${result.version} image for ${result.targets.join(", ")} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  inv.out(`  ${output} (${result.digest})`);
  return 0;
}
