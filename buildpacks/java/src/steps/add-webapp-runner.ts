/**
 * Step: Heroku's webapp-runner (embedded Tomcat 9, from Maven Central) in a launch layer, for
 * an app that is a WAR, as Heroku's Java buildpack runs WARs. The jar is the inventory's
 * `webapp-runner` entry, downloaded and verified against its sha256; the layer is reused
 * from the previous image while the version and checksum are unchanged.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type BuildContext, CnbError, metadataSchema } from "@cnbkit/framework";
import type { JavaMetadata } from "./resolve-jvm.js";

/** Installs webapp-runner; returns the jar's path. */
export async function addWebappRunner(ctx: BuildContext<JavaMetadata>): Promise<string> {
  const dep = ctx.dependencies.resolve("webapp-runner");
  ctx.log.step(`webapp-runner ${dep.version} (Tomcat for the WAR)`);
  const layer = await ctx.layers.cached("webapp_runner", {
    types: { launch: true, cache: false },
    key: { version: dep.version, sha256: dep.sha256 },
    metadata: metadataSchema({ jar: "string" }),
    async fill(l) {
      await ctx.dependencies.install(dep, l.path);
      // Named as the download was (the URI's last segment): keep it, a reused layer has no files to list.
      const jar = (await readdir(l.path)).find((f) => f.endsWith(".jar"));
      if (!jar) throw new CnbError(`webapp-runner ${dep.version}: its download (${dep.uri}) holds no .jar`);
      return { jar };
    },
  });
  layer.sbom.add(dep.component());
  return join(layer.path, layer.metadata.jar);
}
