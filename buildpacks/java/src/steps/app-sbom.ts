/**
 * Step: the SBOM of the app's libraries. Every jar in the exploded app (BOOT-INF/lib, lib/,
 * WEB-INF/lib, ...) becomes a component of launch.sbom.* (the app dir is no layer of ours), in
 * CycloneDX and SPDX: a pkg:maven one from Maven's pom.properties, else by its file name.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import type { BuildContext, SbomComponent } from "@cnbkit/framework";
import { readJarEntries } from "../jar-files.js";
import { parseJarManifest } from "../jar-manifest.js";
import { jarComponent } from "../maven-sbom.js";
import type { JavaMetadata } from "./resolve-jvm.js";

const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;

/** Adds a component per jar with Maven coordinates; returns them. */
export async function appSbom(ctx: BuildContext<JavaMetadata>): Promise<SbomComponent[]> {
  const components: SbomComponent[] = [];
  const entries = await readdir(ctx.app.path, { withFileTypes: true, recursive: true });
  const jars = entries
    .filter((e) => e.isFile() && e.name.endsWith(".jar"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const jar of jars) {
    const poms: { path: string; text: string }[] = [];
    let manifestVersion: string | undefined;
    await readJarEntries(
      jar,
      (n) => POM_PROPERTIES.test(n) || n === "META-INF/MANIFEST.MF",
      (path, text) => {
        if (text === undefined) return;
        if (path === "META-INF/MANIFEST.MF")
          manifestVersion = parseJarManifest(text).attributes["Implementation-Version"]?.trim() || undefined;
        else poms.push({ path, text });
      },
    );
    const hash = createHash("sha256");
    await pipeline(createReadStream(jar), hash);
    const name = relative(ctx.app.path, jar).split("/").pop() as string;
    components.push(jarComponent(name, poms, hash.digest("hex"), manifestVersion));
  }
  ctx.sbom.launch.add(...components);
  const maven = components.filter((c) => c.purl).length;
  if (components.length > 0) ctx.log.detail(`SBOM: ${components.length} libraries (${maven} with Maven coordinates)`);
  return components;
}
