/**
 * Step: Apache Tomcat in a launch layer, for an app that is a WAR, as Paketo's Apache Tomcat
 * buildpack runs WARs. The line follows the WAR's servlet API ({@link chooseTomcat}); the
 * distribution is the inventory's `tomcat` entry (Maven Central's tarball), verified against
 * its sha256, and the layer is reused while the version and checksum are unchanged.
 *
 * The layer is Tomcat's home and base at once, trimmed to what runs: bin/'s two jars, lib/,
 * conf/. The bundled webapps (docs, examples, manager) are removed, as Paketo removes them: an
 * image should not serve Tomcat's manager. Its conf/server.xml is cnbkit's own:
 * - the HTTP port is `${PORT:-8080}`: catalina.properties makes environment variables
 *   property sources (Tomcat's EnvironmentPropertySource), so the launcher runs Tomcat itself,
 *   with no `sh -c` to expand $PORT (an image with no shell runs it too);
 * - the app is the ROOT context, served from the directory the WAR was exploded into at build
 *   time (steps/explode-war.ts), named by the `cnbkit.docbase` system property on the command
 *   line: Tomcat neither unpacks nor deploys anything at start, and reads classes from plain
 *   files and jars, not from jars nested in the WAR; its work dir (compiled JSPs) is under
 *   $TMPDIR (/tmp when unset), not in the image;
 * - no shutdown port, no access log file, no AJP: logs go to stdout/stderr.
 */
import { createHash } from "node:crypto";
import { appendFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inventoryVersions } from "../inventory-versions.js";
import { javaMajor } from "../lts-fallback.js";
import { servletApiOf, type WarFacts } from "../servlet-api.js";
import { chooseTomcat, tomcatMissingApi } from "../tomcat-version.js";
import type { StepContext } from "./step-context.js";

/** Tomcat's server.xml for one WAR on $PORT (see the file's doc). */
export const SERVER_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by cnbkit/java: the exploded WAR (system property cnbkit.docbase) as the ROOT context on $PORT. -->
<Server port="-1" shutdown="SHUTDOWN">
  <Listener className="org.apache.catalina.core.JreMemoryLeakPreventionListener" />
  <Listener className="org.apache.catalina.core.ThreadLocalLeakPreventionListener" />
  <Service name="Catalina">
    <Connector port="\${PORT:-8080}" protocol="HTTP/1.1" connectionTimeout="20000" />
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false" deployOnStartup="false">
        <Context path="" docBase="\${cnbkit.docbase}" workDir="\${TMPDIR:-/tmp}/tomcat-work" />
      </Host>
    </Engine>
  </Service>
</Server>
`;

/** Appended to conf/catalina.properties: environment variables become server.xml properties. */
const ENV_PROPERTY_SOURCE =
  "\n# cnbkit/java: server.xml reads PORT (and any variable) from the environment\norg.apache.tomcat.util.digester.PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource\n";

/** What of the layer cnbkit writes, so a change to it makes a new layer. */
const CONF_DIGEST = createHash("sha256").update(SERVER_XML).update(ENV_PROPERTY_SOURCE).digest("hex");

/**
 * Installs the Tomcat a WAR needs (`facts`: what servlet-api.ts's readWarFacts read of it) on Java
 * `jvmVersion` (`requested`: the user's BP_TOMCAT_VERSION); returns Tomcat's home (the layer's path).
 */
export async function addTomcat(
  ctx: StepContext<"dependencies" | "log" | "target">,
  facts: WarFacts,
  jvmVersion: string,
  requested: string | undefined,
): Promise<string> {
  const api = servletApiOf(facts);
  const choice = chooseTomcat(inventoryVersions(ctx, "tomcat"), api, requested, javaMajor(jvmVersion) ?? 17);
  const dep = ctx.dependencies.resolve("tomcat", choice.version);
  ctx.log.step(`Apache Tomcat ${dep.version} for the WAR (${choice.reason})`);
  const missing = api && tomcatMissingApi(dep.version, api);
  if (missing) {
    // An older servlet package is fatal; an older 6.x only to what the app uses of 6.1
    // (spring-framework-petclinic's pages serve on 10.1 once exploded).
    const effect =
      missing.api === "jakarta.servlet 6.1" ? "what it uses of 6.1 will fail" : "its servlets will not load";
    ctx.log.warn(
      `Tomcat ${dep.version} does not serve ${missing.api}, which the WAR uses (${missing.evidence}): ${effect}. Unset BP_TOMCAT_VERSION to choose by the WAR.`,
    );
  }
  const layer = await ctx.dependencies.layer("tomcat", dep, {
    types: { launch: true },
    key: { conf: CONF_DIGEST },
    strip: dep.stripComponents ?? 1,
    async afterInstall(l) {
      await rm(join(l.path, "webapps"), { recursive: true, force: true });
      await mkdir(join(l.path, "webapps"));
      for (const f of await readdir(join(l.path, "bin"))) {
        if (!f.endsWith(".jar")) await rm(join(l.path, "bin", f), { force: true });
      }
      await writeFile(join(l.path, "conf", "server.xml"), SERVER_XML);
      await appendFile(join(l.path, "conf", "catalina.properties"), ENV_PROPERTY_SOURCE);
    },
  });
  return layer.path;
}
