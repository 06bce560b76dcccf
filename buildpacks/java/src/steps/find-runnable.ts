/**
 * Step: after Maven ran, find what the app runs (runnable.ts) in each module's `target/`
 * (module-choice.ts picks the module): lists the files, reads the manifests of the jars
 * there, and finds the compiled classes with a main method. With BP_MAVEN_BUILT_ARTIFACT
 * set, that artifact is what runs.
 */
import { readFile, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Settings } from "@cnbkit/framework";
import { readJarText } from "../jar-files.js";
import { type JarManifest, parseJarManifest } from "../jar-manifest.js";
import { builtArtifactPattern, chooseBuiltArtifact } from "../maven-args.js";
import { chooseModule, type ModuleRunnable } from "../module-choice.js";
import { chooseRunnable, classPathKept, filesIn, pomMainClass, type Runnable } from "../runnable.js";

/** Files that make a dir a Maven module (pom.xml, or a polyglot pom.yaml, pom.groovy, ...). */
const POM = /(^|\/)pom\.(xml|ya?ml|groovy|kts|rb|scala|clj|atom|java|json)$/;

/** The runnable module of the build in `appDir`; `files` lists every file under it. */
export async function findRunnable(
  appDir: string,
  files: readonly string[],
  settings: Settings,
): Promise<ModuleRunnable> {
  if (settings.BP_MAVEN_BUILT_ARTIFACT?.trim()) {
    const artifact = chooseBuiltArtifact(builtArtifactPattern(settings), files, true);
    return { module: ".", runnable: await artifactRunnable(appDir, artifact, files) };
  }
  const module = settings.BP_MAVEN_BUILT_MODULE?.trim().replace(/\/+$/, "");
  const modules = module
    ? [module]
    : [...new Set(files.filter((f) => POM.test(f) && !f.includes("/target/")).map((f) => posix.dirname(f)))].sort();
  const found: ModuleRunnable[] = [];
  for (const m of modules) {
    const dir = m === "." ? "target" : `${m}/target`;
    if (!files.some((f) => f.startsWith(`${dir}/`))) continue;
    const runnable = await runnableIn(appDir, dir, files, await pomText(appDir, m, files));
    if (runnable) found.push({ module: m, runnable });
  }
  return chooseModule(found);
}

async function pomText(appDir: string, module: string, files: readonly string[]): Promise<string | undefined> {
  const prefix = module === "." ? "" : `${module}/`;
  const pom = files.find((f) => f.startsWith(prefix) && POM.test(f) && !f.slice(prefix.length).includes("/"));
  return pom ? readFile(join(appDir, pom), "utf8") : undefined;
}

/** What `dir` (app-relative) runs, reading its jars' manifests and its classes. */
export async function runnableIn(
  appDir: string,
  dir: string,
  files: readonly string[],
  pom?: string,
): Promise<Runnable | undefined> {
  const manifests = new Map<string, JarManifest | undefined>();
  const sizes = new Map<string, number>();
  for (const jar of filesIn(dir, files, ".jar")) {
    const text = await readJarText(join(appDir, jar), "META-INF/MANIFEST.MF").catch(() => undefined);
    manifests.set(jar, text === undefined ? undefined : parseJarManifest(text));
    sizes.set(jar, (await stat(join(appDir, jar))).size);
  }
  const classes = `${dir === "." ? "" : `${dir}/`}classes/`;
  const mainClasses: string[] = [];
  for (const f of files.filter((f) => f.startsWith(classes) && f.endsWith(".class") && !f.includes("$"))) {
    if (hasMainMethod(await readFile(join(appDir, f)))) {
      mainClasses.push(f.slice(classes.length, -".class".length).replaceAll("/", "."));
    }
  }
  return chooseRunnable({ dir, files, manifests, sizes, mainClasses, pomMainClass: pomMainClass(pom) });
}

/** The constant-pool UTF-8 entries of `public static void main(String[])`, length-prefixed. */
const MAIN_NAME = Buffer.from("\u0000\u0004main", "latin1");
const MAIN_DESCRIPTOR = Buffer.from("\u0000\u0016([Ljava/lang/String;)V", "latin1");

/** Whether a class file's constant pool names a `main(String[])` method (a cheap scan, no parse). */
export function hasMainMethod(classFile: Buffer): boolean {
  return classFile.includes(MAIN_NAME) && classFile.includes(MAIN_DESCRIPTOR);
}

/** The runnable that BP_MAVEN_BUILT_ARTIFACT names. */
async function artifactRunnable(appDir: string, artifact: string, files: readonly string[]): Promise<Runnable> {
  if (artifact.endsWith(".war")) return { kind: "war", war: artifact };
  const text = await readJarText(join(appDir, artifact), "META-INF/MANIFEST.MF").catch(() => undefined);
  const manifest = text === undefined ? undefined : parseJarManifest(text);
  const keep = manifest?.mainClass ? classPathKept(artifact, manifest, new Set(files)) : undefined;
  return keep ? { kind: "jar", jar: artifact, keep: [artifact, ...keep] } : { kind: "exploded", jar: artifact };
}
