/** What `cnbkit sbom` does, loaded only when it runs (sbom.ts declares its usage and options). */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { exportSbom, parsePlatforms } from "../../platform/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";
import { imageRef } from "../refs.js";

/** Runs `cnbkit sbom`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const out = resolve(stringOption(inv, "output", true));
  const platforms = parsePlatforms(listOption(inv, "platform"));
  if (platforms.length > 1) throw new CnbError("--platform: one platform's SBOM at a time; give one os/arch");
  const files = await exportSbom(imageRef(inv.positionals[0]!), out, platforms[0]);
  for (const f of files) inv.out(f);
  inv.err(`${files.length} SBOM files written to ${out}`);
  return 0;
}
