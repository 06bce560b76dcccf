/**
 * Step: the JDK modules the app needs, for a jlinked runtime (BP_JVM_JLINK_ENABLED). jdeps over
 * a Spring Boot app's libraries takes most of a minute, over its own classes about a second,
 * and a new build of the app seldom changes its libraries. So jdeps reads the two apart
 * (jdeps-modules.ts), and the cache-only `jdeps` layer keeps both answers in its metadata: the
 * libraries' modules keyed on the JDK and the sha256 of each library jar, read again only when
 * one changes; the classes' modules beside the sha256 of the jar the app came from, read again
 * when that jar changed (on every build for an app given exploded).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { metadataSchema } from "@cnbkit/framework";
import { runTool } from "@cnbkit/framework/process";
import { jdepsArguments, jdepsErrorLine, jdepsInputs, jdepsModules, modulesToLink } from "../jdeps-modules.js";
import type { LaunchTree } from "./launch-tree.js";
import type { StepContext } from "./step-context.js";

/** Bump when what the layer records changes, so kept answers are read again. */
const FORMAT = 1;

/** The `jdeps` layer's metadata: each part's modules, and the jar the classes' ones are of. */
const keptModules = metadataSchema({ libs: "string[]", jar: "string?", classes: "string[]?" });

/** What {@link keptModules} reads back. */
interface KeptModules {
  libs: string[];
  jar: string | undefined;
  classes: string[] | undefined;
}

/** The JDK whose jdeps reads the app, and whose modules jlink links. */
export interface JdepsJdk {
  home: string;
  version: string;
  sha256: string;
  /** The modules of its jmods. */
  modules: readonly string[];
}

/**
 * The modules jlink should link for the app in `tree`, sorted; undefined when jdeps cannot
 * tell (a WAR, an app with no classes, a jdeps failure: said in one line), for the caller's
 * fallback. The tree's `jarSha256` (the jar the app was unpacked from, if it was) keys the
 * classes' answer.
 */
export async function appModules(
  ctx: StepContext<"layers" | "log">,
  jdk: JdepsJdk,
  tree: LaunchTree,
): Promise<string[] | undefined> {
  const { dir, jarSha256 } = tree;
  const inputs = jdepsInputs(tree.files);
  if (inputs.kind === "skip") {
    ctx.log.detail(`Modules: every java.* module of the JDK (${inputs.why})`);
    return undefined;
  }
  const jars = inputs.libs.length === 1 ? "1 jar" : `${inputs.libs.length} jars`;
  const release = Number.parseInt(jdk.version, 10);
  let libsFailed: string | undefined;
  const kept = await ctx.layers.cached("jdeps", {
    types: { cache: true },
    key: { jdk: jdk.version, sha256: jdk.sha256, libs: await digestOf(dir, inputs.libs), format: FORMAT },
    metadata: keptModules,
    async fill(): Promise<KeptModules> {
      const none = { jar: undefined, classes: undefined };
      if (inputs.libs.length === 0) return { libs: [], ...none };
      const done = ctx.log.timer();
      const read = await runJdeps(ctx, dir, jdk.home, inputs.libs, release);
      if (typeof read === "string") {
        libsFailed = read;
        return { libs: [], ...none };
      }
      ctx.log.detail(`jdeps over the libraries (${jars}, ${done()}): ${read.join(", ")}`);
      return { libs: read, ...none };
    },
  });
  if (libsFailed !== undefined) {
    // Not kept: the next build tries again.
    await ctx.layers.remove("jdeps");
    return cannotTell(ctx, libsFailed);
  }
  if (kept.state.kind === "restored" && inputs.libs.length > 0) {
    ctx.log.detail(`The libraries' modules, kept (${jars} unchanged): ${kept.metadata.libs.join(", ")}`);
  }
  let classes = jarSha256 !== undefined && kept.metadata.jar === jarSha256 ? kept.metadata.classes : undefined;
  if (classes === undefined) {
    if (inputs.classes.length === 0) classes = [];
    else {
      const done = ctx.log.timer();
      const read = await runJdeps(ctx, dir, jdk.home, inputs.classes, release);
      if (typeof read === "string") return cannotTell(ctx, read);
      ctx.log.detail(`jdeps over the app's classes (${done()}): ${read.join(", ")}`);
      classes = read;
    }
    kept.metadata = { libs: kept.metadata.libs, jar: jarSha256, classes };
  }
  return modulesToLink([kept.metadata.libs, classes], jdk.modules);
}

/** jdeps' modules for `paths`, or why it named none. */
async function runJdeps(
  ctx: StepContext<"log">,
  appDir: string,
  jdkHome: string,
  paths: readonly string[],
  release: number,
): Promise<string[] | string> {
  const output = await runTool([join(jdkHome, "bin", "jdeps"), ...jdepsArguments(paths, release)], {
    cwd: appDir,
    env: { PATH: process.env.PATH },
    // A failed jdeps prints a Java stack trace: the warning carries its error line, and only
    // BP_LOG_LEVEL=debug shows the rest.
    log: { ...ctx.log, subprocess: (line) => ctx.log.debug(line) },
    what: "jdeps",
    quiet: true,
    errorLine: jdepsErrorLine,
  }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  if (output instanceof Error) return output.message;
  return jdepsModules(output) ?? "it named no modules";
}

/** The one warning when jdeps cannot tell; undefined, for the caller's fallback. */
function cannotTell(ctx: StepContext<"log">, why: string): undefined {
  ctx.log.warn(
    `jdeps could not tell the app's modules (${why}): every java.* module of the JDK is linked; name them with BP_JVM_JLINK_ARGS --add-modules`,
  );
  return undefined;
}

/** One sha256 over the sha256 of each jar (`jars` sorted, relative to `dir`): the libraries' key. */
async function digestOf(dir: string, jars: readonly string[]): Promise<string> {
  const all = createHash("sha256");
  for (const jar of jars) {
    const one = createHash("sha256");
    for await (const chunk of createReadStream(join(dir, jar))) one.update(chunk as Buffer);
    all.update(`${one.digest("hex")}\n`);
  }
  return all.digest("hex");
}
