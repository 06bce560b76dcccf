/** What `cnbkit base extend` does, loaded only when it runs (base-extend.ts declares its usage and options). */
import { CnbError } from "@cnbkit/framework";
import { extendImage } from "../../extensions/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";
import { absoluteRef } from "../refs.js";

/** Splits repeated, comma-separated flag values (`--apt a,b --apt c`). */
function commaList(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Runs `cnbkit base extend`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const output = stringOption(inv, "output");
  if (!output)
    throw new CnbError("base extend needs --output <oci:dir[:tag]|ref>", {
      hint: "e.g. --output oci:out/base-ext:run",
    });
  const result = await extendImage({
    image: absoluteRef(inv.positionals[0]!),
    output: absoluteRef(output),
    apt: commaList(listOption(inv, "apt")),
    caCerts: listOption(inv, "ca-cert"),
    env: listOption(inv, "env"),
    labels: listOption(inv, "label"),
    copies: listOption(inv, "copy"),
    onProgress: inv.err,
  });
  inv.out(`extended image  ${output}  ${result.digest}`);
  for (const p of result.platforms ?? []) inv.out(`  linux/${p.platform.architecture}  ${p.digest}`);
  return 0;
}
