/** What `cnbkit sign` does, loaded only when it runs (sign.ts declares its usage and options). */
import { CnbError } from "@cnbkit/framework";
import { parseReference } from "../../oci/index.js";
import { loadSigningKey, markSignedImage, resolveDigest, signImage } from "../../supply-chain/index.js";
import { stringOption, type Invocation } from "../command.js";
import { imageRef } from "../refs.js";

/** Runs `cnbkit sign`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const image = imageRef(inv.positionals[0]!);
  const key = await loadSigningKey(stringOption(inv, "key", true), { flag: "--key" });
  const ref = parseReference(image);
  const digest = await resolveDigest(ref).catch((err: unknown) => {
    throw err instanceof CnbError ? err : new CnbError(`cannot read ${inv.positionals[0]}: ${String(err)}`);
  });
  const result = await signImage({ ref, digest, key });
  await markSignedImage(ref, digest);
  inv.out(
    `Signed ${inv.positionals[0]} (${digest}) with ${key.algorithm}: ${result.signatures} signature(s) in ${result.where}`,
  );
  return 0;
}
