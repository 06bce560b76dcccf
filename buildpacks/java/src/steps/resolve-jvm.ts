/**
 * Step: which Java version this build uses, and the inventory entries for it. The request
 * comes from {@link resolveJavaVersion}. A version only the jar's manifest names that the
 * inventory lacks becomes the nearest newer LTS it has, with a warning; a source level pom.xml
 * or build.gradle targets that it lacks becomes a JDK that compiles it
 * ({@link sourceLevelFallback}), with a warning; any other version it
 * lacks is one line naming where it was asked for and listing the versions the inventory has
 * for this platform, with a hint saying what to change there.
 */
import { CnbError, type ResolvedDependency, type Settings } from "@cnbkit/framework";
import { describeJavaVersionRequest, type JavaVersionRequest, resolveJavaVersion } from "../java-version.js";
import { inventoryVersions } from "../inventory-versions.js";
import { javaMajor, nearestNewerLts, sourceLevelFallback } from "../lts-fallback.js";
import type { AppInfo } from "./read-app.js";
import type { StepContext } from "./step-context.js";

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
  ctx: StepContext<"buildpack" | "dependencies" | "log" | "target">,
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
  const runtimeId = hasJre ? "jre" : "jdk";
  const needJdk = use.build || use.jlink;
  const chosen = manifestFallback(ctx, request, [...new Set(needJdk ? [runtimeId, "jdk"] : [runtimeId])]);
  const jre = resolveOne(ctx, runtimeId, chosen);
  const jdk = needJdk ? resolveOne(ctx, "jdk", chosen) : undefined;
  // What each part is for: with jlink, the inventory's JRE is not used at all.
  const purpose = use.jlink
    ? `JDK to ${use.build ? "build and to " : ""}jlink the runtime`
    : `JDK to build, ${hasJre ? "JRE" : "JDK"} ${jre.version} to run`;
  ctx.log.detail(`Selected Java ${(jdk ?? jre).version}${jdk ? ` (${purpose})` : ""}`);
  return { request, jre, jdk };
}

/**
 * A version only the jar's manifest names (`Build-Jdk-Spec: 11`) that the inventory lacks
 * becomes the nearest newer LTS it has ({@link nearestNewerLts}), with a warning; a source level
 * from pom.xml or build.gradle it lacks becomes a JDK that compiles it ({@link sourceLevelFallback}),
 * with a warning; any other request (one the user chose) is returned as it is.
 */
function manifestFallback(
  ctx: StepContext<"dependencies" | "log" | "target">,
  request: JavaVersionRequest,
  ids: readonly string[],
): JavaVersionRequest {
  const buildTarget = request.source === "pom.xml" || request.source === "build.gradle";
  if (request.source !== "MANIFEST.MF Build-Jdk-Spec" && !buildTarget) return request;
  const missing = ids.filter((id) => {
    try {
      ctx.dependencies.resolve(id, request.range);
      return false;
    } catch (err) {
      if (err instanceof CnbError) return true;
      throw err;
    }
  });
  const major = javaMajor(request.raw);
  if (missing.length === 0 || major === undefined) return request;
  if (buildTarget) {
    // The build's source level, not a runtime the user chose: a newer javac compiles it.
    const choice = sourceLevelFallback(
      major,
      ids.map((id) => inventoryVersions(ctx, id)),
    );
    if (choice === undefined) return request;
    ctx.log.warn(`${request.source} "${request.raw}": ${choice.why}; set BP_JVM_VERSION to choose another`);
    return { ...request, range: `${choice.major}.x` };
  }
  const lts = nearestNewerLts(
    major,
    ids.map((id) => inventoryVersions(ctx, id)),
  );
  if (lts === undefined) return request;
  ctx.log.warn(
    `${request.source} "${request.raw}" matches no ${missing.map((id) => id.toUpperCase()).join(" or ")} in the inventory: using Java ${lts}, the nearest newer LTS it has (a jar built for ${major} runs on it); set BP_JVM_VERSION to choose another`,
  );
  return { ...request, range: `${lts}.x` };
}

/** Where a request came from, as a user would look for it. */
const WHERE: Record<JavaVersionRequest["source"], string> = {
  BP_JVM_VERSION: "BP_JVM_VERSION",
  "system.properties": "system.properties java.runtime.version",
  ".sdkmanrc": ".sdkmanrc java",
  "pom.xml": "pom.xml",
  "build.gradle": "build.gradle",
  "MANIFEST.MF Build-Jdk-Spec": "MANIFEST.MF Build-Jdk-Spec",
  default: "the default Java version",
};

/** What to change, by where the version came from; `example` is a major the inventory has. */
function hint(source: JavaVersionRequest["source"], example: string): string {
  switch (source) {
    case "system.properties":
      return `Set java.runtime.version=${example} in system.properties (BP_JVM_VERSION overrides it)`;
    case ".sdkmanrc":
      return `Set java=${example} in .sdkmanrc (BP_JVM_VERSION overrides it)`;
    default:
      return `Set BP_JVM_VERSION to one of those major versions, e.g. BP_JVM_VERSION=${example}`;
  }
}

function resolveOne(
  ctx: StepContext<"buildpack" | "dependencies" | "target">,
  id: string,
  request: JavaVersionRequest,
): ResolvedDependency {
  try {
    return ctx.dependencies.resolve(id, request.range);
  } catch (err) {
    if (!(err instanceof CnbError)) throw err;
    const { os, arch } = ctx.target;
    const have = inventoryVersions(ctx, id);
    const majors = [...new Set(have.map(javaMajor))].filter((m) => m !== undefined).sort((a, b) => b - a);
    throw new CnbError(
      `${WHERE[request.source]} "${request.raw}" matches no ${id.toUpperCase()} in the inventory for ${os}/${arch} (it has: ${have.join(", ") || "none"})`,
      { hint: hint(request.source, String(majors[0] ?? ctx.buildpack.metadata.defaultVersions.java)) },
    );
  }
}
