/** What `cnbkit package` does, loaded only when it runs (package.ts declares its usage and options). */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { isExtensionDir, type PackageFormat, packageBuildpack, packageExtension } from "../../package/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";

const FORMATS: PackageFormat[] = ["dir", "file", "oci", "image"];

/** Runs `cnbkit package`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const format = stringOption(inv, "format", true) as PackageFormat;
  if (!FORMATS.includes(format)) {
    throw new CnbError(`--format "${format}" is not one of ${FORMATS.join(", ")}`);
  }
  const output = stringOption(inv, "output", true);
  const targets = listOption(inv, "target");
  const dir = resolve(inv.positionals[0]!);
  if (isExtensionDir(dir)) {
    if (format === "dir")
      throw new CnbError(`--format dir: an extension is packaged as file, oci or image (${dir} has extension.toml)`);
    if (inv.values.offline === true) throw new CnbError("--offline: an extension has no dependencies to bundle");
    const ext = await packageExtension({
      dir,
      format,
      output: format === "image" ? output : resolve(output),
      ...(targets.length ? { targets } : {}),
      onProgress: inv.err,
      store: { insecure: inv.values["insecure-registry"] === true },
    });
    const written = ext.files?.join(", ") ?? ext.output;
    inv.out(
      `Packaged extension ${ext.id}@${ext.version} for ${ext.targets.join(", ")} → ${written}${ext.digest ? ` (${ext.digest})` : ""}`,
    );
    return 0;
  }
  const result = await packageBuildpack({
    dir,
    format,
    output: format === "image" ? output : resolve(output),
    ...(targets.length ? { targets } : {}),
    offline: inv.values.offline === true,
    standalone: inv.values.standalone === true,
    onProgress: inv.err,
    store: { insecure: inv.values["insecure-registry"] === true },
  });
  const written = result.files?.join(", ") ?? result.output;
  inv.out(
    `Packaged ${result.id}@${result.version} for ${result.targets.join(", ")} → ${written}${result.digest ? ` (${result.digest})` : ""}`,
  );
  return 0;
}
