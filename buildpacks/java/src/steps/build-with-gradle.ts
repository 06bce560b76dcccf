/**
 * Step: build the app with Gradle. The wrapper (`gradlew`) when the app has one, else
 * Gradle from the inventory in a build layer. GRADLE_USER_HOME (~/.gradle: the wrapper's
 * distributions and the dependency cache) lives in a cache-only layer; the built artifact
 * is kept in a cache-only layer keyed on a digest of the source tree, the arguments and the
 * JDK, so an unchanged tree skips Gradle entirely (as Paketo's gradle buildpack does) and
 * installs neither the JDK nor Gradle. The artifact's layer is arch-neutral (unless a build
 * file asks for the CPU): the emulated platforms of a multi-platform build reuse the native one's.
 * A `gradle` binding supplies `gradle.properties` (copied into GRADLE_USER_HOME) and
 * `init.gradle` / `init.gradle.kts` (passed with `--init-script`), as Paketo's does.
 */
import { chmod, copyFile, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  type Binding,
  CnbError,
  type EnvChange,
  metadataSchema,
  type ResolvedDependency,
  type Settings,
  withChanges,
} from "@cnbkit/framework";
import type { BuildTool } from "../build-tool.js";
import { GRADLE_ARTIFACTS, gradleArguments, gradleArtifactPattern } from "../gradle-args.js";
import { chooseBuiltArtifact } from "../maven-args.js";
import { runTool } from "@cnbkit/framework/process";
import { gradleErrorLine } from "../build-tool-errors.js";
import { buildTrust } from "./build-trust.js";
import {
  checkDistributionReachable,
  mirrorWrapperDistribution,
  wrapperErrorLine,
  wrapperFailure,
} from "./gradle-distribution.js";
import { archNeutrality } from "./arch-neutrality.js";
import type { BuildJdk } from "./install-jdk.js";
import type { SourceApp } from "./read-app.js";
import { listFiles, sourceTree } from "./source-tree.js";
import type { StepContext } from "./step-context.js";

/** Where the built artifact is (in the `gradle_build` layer). */
export interface GradleBuild {
  artifact: string;
  /** Whether Gradle ran (false: the source tree was unchanged). */
  ran: boolean;
  /** App-relative paths of the app dir's files as the build left them (the source tree when Gradle did not run). */
  files: readonly string[];
}

/** Builds with Gradle (or reuses the previous build's artifact). */
export async function buildWithGradle(
  ctx: StepContext<"layers" | "multiPlatform" | "log" | "dependencies" | "platform">,
  settings: Settings,
  app: SourceApp,
  tool: Extract<BuildTool, { kind: "gradle" }>,
  jdk: BuildJdk,
): Promise<GradleBuild> {
  const pattern = gradleArtifactPattern(settings);
  const gradleDep = tool.wrapper ? undefined : gradleDependency(ctx);
  // The header first: the cache layer's "Reusing gradle_home" line belongs under it.
  ctx.log.step(`Gradle (${gradleDep ? `Gradle ${gradleDep.version}` : "gradlew"})`);
  const home = await ctx.layers.cached("gradle_home", {
    types: { cache: true },
    key: { kind: "gradle-user-home" },
    fill() {},
  });
  const initScripts = await applyBinding(ctx.platform.bindings.one("gradle"), home.path);
  const args = [...gradleArguments(settings), ...initScripts.flatMap((s) => ["--init-script", s])];
  const sources = (await sourceTree(app.dir, app.files, ["build", ".gradle"])).digest;
  let ran = false;
  let files = app.files;
  const out = await ctx.multiPlatform.cached("gradle_build", {
    types: { cache: true },
    key: { sources, args: args.join(" "), jdk: jdk.version, gradle: gradleDep?.version ?? "gradlew" },
    metadata: metadataSchema({ artifact: "string" }),
    // Not gradle_home: it holds Gradle's native-platform libraries (ELF), which the framework never shares.
    archNeutral: await archNeutrality(app),
    async fill(l) {
      // The JDK and Gradle are installed only now: an unchanged tree needs neither.
      const java = await jdk.get();
      const gradle = gradleDep ? await installGradle(ctx, gradleDep) : undefined;
      if (tool.wrapper) await chmod(join(app.dir, "gradlew"), 0o755);
      const trust = await buildTrust(ctx, settings, java);
      const env = withChanges(settings, java.env, gradle?.env, trust, { set: { GRADLE_USER_HOME: home.path } });
      const command = [gradle ? join(gradle.home, "bin", "gradle") : join(app.dir, "gradlew"), ...args];
      const done = ctx.log.timer();
      ctx.log.detail(`Running ${[tool.wrapper ? "./gradlew" : "gradle", ...args].join(" ")}`);
      // The wrapper's distributionUrl follows the dependency mirrors (steps/gradle-distribution.ts).
      const dist = tool.wrapper ? await mirrorWrapperDistribution(ctx, app.dir, settings) : undefined;
      try {
        if (dist) await checkDistributionReachable(dist, home.path, settings);
        await runTool(command, {
          cwd: app.dir,
          env,
          log: ctx.log,
          what: "Gradle build",
          errorLine: dist ? wrapperErrorLine : gradleErrorLine,
        });
      } catch (err) {
        throw (dist && wrapperFailure(err, dist)) ?? err;
      } finally {
        await dist?.restore();
      }
      ran = true;
      ctx.log.detail(`Built in ${done()}`);
      files = await listFiles(app.dir);
      const explicit = Boolean(settings.BP_GRADLE_BUILT_ARTIFACT?.trim());
      const artifact = chooseBuiltArtifact(pattern, files, explicit, GRADLE_ARTIFACTS);
      await copyFile(join(app.dir, artifact), join(l.path, basename(artifact)));
      return { artifact: basename(artifact) };
    },
  });
  // The binding's properties (credentials, often) must not be saved with the cached layer.
  await rm(join(home.path, "gradle.properties"), { force: true });
  if (!ran && !(out.state.kind === "restored" && out.state.fromArch)) {
    ctx.log.detail("Source tree unchanged: reusing the previous build's artifact");
  }
  return { artifact: join(out.path, out.metadata.artifact), ran, files };
}

/**
 * Puts the binding's gradle.properties into GRADLE_USER_HOME for this build's Gradle run
 * (the caller removes it before the layer is saved) and returns its init scripts' paths.
 */
async function applyBinding(binding: Binding | undefined, gradleHome: string): Promise<string[]> {
  const properties = join(gradleHome, "gradle.properties");
  if (binding?.entries.includes("gradle.properties")) {
    await copyFile(join(binding.path, "gradle.properties"), properties);
  } else {
    await rm(properties, { force: true });
  }
  return ["init.gradle", "init.gradle.kts"]
    .filter((e) => binding?.entries.includes(e))
    .map((e) => join(binding?.path ?? "", e));
}

/** Gradle from the inventory; a clear error when the buildpack carries none. */
function gradleDependency(ctx: StepContext<"dependencies">): ResolvedDependency {
  if (!ctx.dependencies.all.some((d) => d.id === "gradle")) {
    throw new CnbError("build.gradle: the app has no Gradle wrapper (gradlew) and this buildpack carries no Gradle", {
      hint: "Run `gradle wrapper` in the project and commit gradlew and gradle/wrapper/",
    });
  }
  return ctx.dependencies.resolve("gradle");
}

/** Gradle in a build layer (cached unless the builder carries it). */
async function installGradle(
  ctx: StepContext<"dependencies">,
  dep: ResolvedDependency,
): Promise<{ home: string; version: string; env: EnvChange }> {
  const layer = await ctx.dependencies.layer("gradle", dep, {
    types: { build: true },
    strip: dep.stripComponents ?? 1,
    afterInstall: (l) => chmod(join(l.path, "bin", "gradle"), 0o755),
  });
  return { home: layer.path, version: dep.version, env: { path: [join(layer.path, "bin")] } };
}
