/**
 * Step: what a Procfile runs survives the explode. Heroku's Java apps say
 * `web: java $JAVA_OPTS -Dserver.port=$PORT -jar target/app.jar`, and cnbkit/procfile runs that
 * after this buildpack, in the app dir this buildpack replaces with the exploded jar. So before
 * the explode, the paths the Procfile names ({@link procfilePaths}) and the Procfile itself are
 * set aside, and after it they are put back; a path that names the built jar (`target/app.jar`,
 * `build/libs/*.jar`) gets the jar the build chose, also when an unchanged tree skipped Maven or
 * Gradle and the jar came from the cache (the app dir then has no target/ at all). A glob that
 * matches the built jar gets only that jar, so `-jar build/libs/*.jar` is one jar (not Spring
 * Boot's `-plain.jar` beside it) on the first build and on every rebuild alike.
 */
import { copyFile, cp, lstat, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, posix } from "node:path";
import { globToRegExp } from "@cnbkit/framework/fs";
import { procfilePaths } from "../procfile-paths.js";
import type { BuiltApp } from "./build-app.js";
import type { SourceApp } from "./read-app.js";
import type { StepContext } from "./step-context.js";

/** Puts back what {@link keepProcfilePaths} set aside; call it after the explode. */
export type RestoreProcfilePaths = () => Promise<void>;

/**
 * Sets aside the app's Procfile and the paths it names, as `built` left the app dir (its
 * jar, about to be exploded, is absolute: in the app dir or a build's cache layer). Nothing
 * to do when there is no Procfile or nothing will be exploded.
 */
export async function keepProcfilePaths(
  ctx: StepContext<"log">,
  app: Pick<SourceApp, "dir" | "procfile">,
  built: BuiltApp,
): Promise<RestoreProcfilePaths> {
  const text = app.procfile;
  const jar = built.kind === "explode" ? built.jar : undefined;
  if (text === undefined || jar === undefined) return async () => {};
  const appDir = app.dir;
  const keep = new Set<string>(["Procfile"]);
  const builtJarAt = new Set<string>();
  for (const { path, glob } of procfilePaths(text)) {
    const re = globToRegExp(path);
    const place = posix.join(posix.dirname(path), basename(jar));
    if (re.test(place)) builtJarAt.add(place);
    else if (!glob && (await exists(join(appDir, path)))) keep.add(path);
    else if (glob) for (const f of built.files) if (re.test(f)) keep.add(f);
  }
  const aside = await mkdtemp(join(tmpdir(), "cnbkit-java-procfile-"));
  try {
    for (const rel of keep) await cp(join(appDir, rel), join(aside, "kept", rel), { recursive: true });
    if (builtJarAt.size > 0) await copyFile(jar, join(aside, "built.jar"));
  } catch (err) {
    await rm(aside, { recursive: true, force: true });
    throw err;
  }
  return async () => {
    try {
      for (const rel of keep) await cp(join(aside, "kept", rel), join(appDir, rel), { recursive: true });
      for (const rel of builtJarAt) {
        await mkdir(join(appDir, posix.dirname(rel)), { recursive: true });
        await copyFile(join(aside, "built.jar"), join(appDir, rel));
      }
    } finally {
      await rm(aside, { recursive: true, force: true });
    }
    const named = [...[...keep].filter((p) => p !== "Procfile"), ...builtJarAt].sort();
    ctx.log.detail(`Kept for the Procfile: Procfile${named.length > 0 ? `, ${named.join(", ")}` : ""}`);
  };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
