/**
 * The small builders of the e2e tests that try one platform feature each (image extensions,
 * exec-env and [system]): the local cnbkit/nodejs buildpack plus the test's own shell
 * buildpacks and extensions, on the e2e base images, with the reference builder's lifecycle.
 * One place for that builder.toml, so those tests differ only in what they add.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { BASE_LAYOUT, E2E_DIR, referenceBuilder } from "./support.js";

/** Writes an executable file (a shell buildpack's or extension's bin/ program). */
export async function executable(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

/**
 * Makes `<work>/builder` (as `oci:<dir>:latest`, returned) from builder.toml tables: `buildpacks`
 * are directories added after cnbkit/nodejs; `rest` is the rest of builder.toml (order,
 * extensions, order-extensions, system). The reference builder is made first (the local
 * nodejs.cnb and the base images come from it). Logs how long `builder create` took.
 */
export async function smallBuilder(
  work: string,
  description: string,
  buildpacks: string[],
  rest: TomlTable,
): Promise<string> {
  await referenceBuilder();
  const local = join(E2E_DIR, "reference-local");
  const reference = parseToml(await readFile(join(local, "builder.toml"), "utf8"), "builder.toml");
  const config: TomlTable = {
    description,
    buildpacks: [{ uri: join(local, "nodejs.cnb") }, ...buildpacks.map((uri) => ({ uri }))],
    ...rest,
    build: { image: `oci:${BASE_LAYOUT}:build` },
    run: { images: [{ image: `oci:${BASE_LAYOUT}:run` }] },
    lifecycle: reference.lifecycle as TomlTable,
  };
  await writeFile(join(work, "builder.toml"), stringifyToml(config));
  const builder = `oci:${join(work, "builder")}:latest`;
  const t0 = Date.now();
  await createBuilder({ config: join(work, "builder.toml"), output: builder });
  console.log(`${description}: builder created in ${Date.now() - t0} ms`);
  return builder;
}
