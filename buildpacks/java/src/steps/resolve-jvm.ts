/**
 * Step: which Java version this build uses, and the inventory entries for it. The request
 * comes from {@link resolveJavaVersion}; a version the inventory lacks is one line naming
 * where it was asked for and listing the versions the inventory has for this platform.
 */
import { type BuildContext, CnbError, type ResolvedDependency, type Settings } from "@cnbkit/framework";
import { describeJavaVersionRequest, type JavaVersionRequest, resolveJavaVersion } from "../java-version.js";
import type { AppInfo } from "./read-app.js";

/** buildpack.toml `[metadata]` as this buildpack reads it (the inventory is the framework's). */
export interface JavaMetadata {
  defaultVersions: { java: string };
}

/** The chosen version: the request and the JDK/JRE entries for it. */
export interface JvmChoice {
  request: JavaVersionRequest;
  /** The runtime for launch: the inventory's `jre`, else its `jdk`. */
  jre: ResolvedDependency;
  /** The JDK, resolved only for builds that compile. */
  jdk?: ResolvedDependency | undefined;
}

/** Resolves the version and the entries; `use.build` when the build compiles, `use.jlink` when the JDK makes the runtime. */
export function resolveJvm(
  ctx: BuildContext<JavaMetadata>,
  settings: Settings,
  app: AppInfo,
  use: { build: boolean; jlink: boolean },
): JvmChoice {
  ctx.log.step("Resolving Java version");
  const request = resolveJavaVersion({
    env: settings,
    ...app.versionFiles,
    buildJdkSpec: app.manifest?.buildJdkSpec,
    defaultVersion: ctx.buildpack.metadata.defaultVersions.java,
  });
  ctx.log.detail(describeJavaVersionRequest(request));
  const hasJre = ctx.dependencies.all.some((d) => d.id === "jre");
  const jre = resolveOne(ctx, hasJre ? "jre" : "jdk", request);
  const jdk = use.build || use.jlink ? resolveOne(ctx, "jdk", request) : undefined;
  // What each part is for: with jlink, the inventory's JRE is not used at all.
  const purpose = use.jlink
    ? `JDK to ${use.build ? "build and to " : ""}jlink the runtime`
    : `JDK to build, ${hasJre ? "JRE" : "JDK"} ${jre.version} to run`;
  ctx.log.detail(`Selected Java ${(jdk ?? jre).version}${jdk ? ` (${purpose})` : ""}`);
  return { request, jre, jdk };
}

function resolveOne(ctx: BuildContext<JavaMetadata>, id: string, request: JavaVersionRequest): ResolvedDependency {
  try {
    return ctx.dependencies.resolve(id, request.range);
  } catch (err) {
    if (!(err instanceof CnbError)) throw err;
    const { os, arch } = ctx.target;
    const have = ctx.dependencies.all
      .filter((d) => d.id === id && (d.os ?? os) === os && (d.arch ?? arch) === arch)
      .map((d) => d.version);
    const where = request.source === "default" ? "the default Java version" : request.source;
    throw new CnbError(
      `${where} "${request.raw}" matches no ${id.toUpperCase()} in the inventory for ${os}/${arch} (it has: ${have.join(", ") || "none"})`,
      { hint: "Set BP_JVM_VERSION to one of those major versions" },
    );
  }
}
