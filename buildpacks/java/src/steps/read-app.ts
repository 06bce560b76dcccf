/**
 * Step: read the app. Which marker files exist, the executable jars at the app root (with
 * their manifests), an exploded jar's manifest, and the files that may name a Java version.
 * Decides nothing itself: {@link chooseBuildTool} picks the build tool from what this returns.
 * Detect reads only that ({@link readApp}); the build also lists the source tree and reads
 * the Procfile, once ({@link readSourceApp}), and hands those facts to the steps, which do not
 * read or list the source tree again.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type AppFiles, CnbError } from "@cnbkit/framework";
import { type BuildTool, chooseBuildTool, JAVA_MARKERS } from "../build-tool.js";
import { readJarText } from "../jar-files.js";
import { type JarManifest, parseJarManifest } from "../jar-manifest.js";
import { polyglotPom } from "../polyglot-maven.js";
import { listFiles } from "./source-tree.js";

/** What the app dir holds, as far as this buildpack cares. */
export interface AppInfo {
  /** How to build, or undefined when nothing here is Java. */
  tool: BuildTool | undefined;
  /** The prebuilt jar's manifest (a root jar or META-INF/MANIFEST.MF), if there is one. */
  manifest?: JarManifest | undefined;
  /** Texts of the files that may name a Java version. */
  versionFiles: {
    systemProperties?: string | undefined;
    sdkmanrc?: string | undefined;
    pom?: string | undefined;
    gradle?: string | undefined;
  };
}

/** Reads the app dir. */
export async function readApp(app: AppFiles): Promise<AppInfo> {
  const present = new Set<string>();
  for (const f of JAVA_MARKERS) if (await app.exists(f)) present.add(f);
  const names = await readdir(app.path).catch(() => [] as string[]);
  const jars: { path: string; mainClass?: string | undefined; manifest?: JarManifest }[] = [];
  for (const name of names.filter((n) => n.endsWith(".jar")).sort()) {
    const text = await readJarText(join(app.path, name), "META-INF/MANIFEST.MF");
    const manifest = text === undefined ? undefined : parseJarManifest(text);
    jars.push({ path: name, mainClass: manifest?.mainClass, ...(manifest ? { manifest } : {}) });
  }
  const extensions = present.has(".mvn/extensions.xml") ? await app.readText(".mvn/extensions.xml") : undefined;
  const poms = new Set(names);
  const polyglot = polyglotPom(extensions, (f) => poms.has(f));
  const tool = chooseBuildTool({ has: (f) => present.has(f), jars, polyglotPom: polyglot });
  let manifest: JarManifest | undefined;
  if (tool?.kind === "jar") manifest = jars.find((j) => j.path === tool.jar)?.manifest;
  if (tool?.kind === "exploded") manifest = parseJarManifest((await app.readText("META-INF/MANIFEST.MF")) ?? "");
  const read = (f: string) => app.readText(f, { optional: true });
  return {
    tool,
    manifest,
    versionFiles: {
      systemProperties: await read("system.properties"),
      sdkmanrc: await read(".sdkmanrc"),
      pom: await read("pom.xml"),
      gradle: (await read("build.gradle")) ?? (await read("build.gradle.kts")),
    },
  };
}

/** The app as the build starts from it: a Java app, its source tree listed once. */
export interface SourceApp extends AppInfo {
  tool: BuildTool;
  /** The app dir. */
  dir: string;
  /** App-relative paths of every file in the source tree. */
  files: readonly string[];
  /** The Procfile's text, if the app has one (cnbkit/procfile runs it after this buildpack). */
  procfile?: string | undefined;
}

/** Reads the app for a build; one line when nothing here is Java. */
export async function readSourceApp(app: AppFiles): Promise<SourceApp> {
  const info = await readApp(app);
  const tool = info.tool;
  if (!tool) {
    throw new CnbError(
      "no pom.xml, mvnw, build.gradle(.kts), gradlew, executable jar or META-INF/MANIFEST.MF in the app",
    );
  }
  const procfile = await app.readText("Procfile", { optional: true });
  return { ...info, tool, dir: app.path, files: await listFiles(app.path), procfile };
}
