/**
 * What a built Java app runs, found in the files a build left (a Maven module's `target/`)
 * or that the user brought, and how it is staged and started:
 * - `exploded`: a self-contained executable jar (a fat jar, Spring Boot's, the assembly
 *   plugin's jar-with-dependencies), unpacked into the app dir as before (start-command.ts);
 * - `jar`: an executable jar whose manifest Class-Path names files beside it, kept as it is
 *   with them and run with `java -jar` (Quarkus' fast-jar `quarkus-app/quarkus-run.jar`,
 *   Helidon's thin jar with `libs/`, a jar with `dependency:copy-dependencies`' `dependency/`);
 * - `war`: a WAR, run by Heroku's webapp-runner (embedded Tomcat 9) on $PORT;
 * - `classpath`: compiled classes (`target/classes`, plus `target/dependency/*` when there)
 *   and a main class: the pom's `<mainClass>` (exec-maven-plugin, maven-jar-plugin), else
 *   the one class whose constant pool names `main` with `([Ljava/lang/String;)V`.
 * Pure: the caller lists the files, reads the candidate jars' manifests, and finds the
 * classes with a main method.
 */
import { posix } from "node:path";
import { CnbError } from "@cnbkit/framework";
import type { JarManifest } from "./jar-manifest.js";

/** How the app runs; paths are relative to the app dir. */
export type Runnable =
  | { kind: "exploded"; jar: string }
  | { kind: "jar"; jar: string; keep: readonly string[] }
  | { kind: "war"; war: string }
  | { kind: "classpath"; classes: string; dependencies?: string; mainClass: string };

/** A runnable that is not exploded into the app dir: its files are kept as the build laid them out. */
export type KeptRunnable = Exclude<Runnable, { kind: "exploded" }>;

/** What {@link chooseRunnable} looks at, for one output dir (e.g. `target`, `module/target`, `.`). */
export interface RunnableInputs {
  /** The output dir, relative to the app root (`.` for the root). */
  dir: string;
  /** Every file under the app root, relative to it. */
  files: readonly string[];
  /** Manifests of the jars directly in `dir` (undefined: none). */
  manifests: ReadonlyMap<string, JarManifest | undefined>;
  /** Sizes in bytes of the jars directly in `dir`. */
  sizes: ReadonlyMap<string, number>;
  /** Classes (binary names) under `<dir>/classes` with a `main(String[])`. */
  mainClasses?: readonly string[];
  /** The pom's `<mainClass>`, if it names one. */
  pomMainClass?: string | undefined;
}

/** Jars a build makes that are never the app: sources, javadoc, tests, shade's leftovers. */
const NOT_THE_APP = /(-sources|-javadoc|-tests|-test-sources|-plain)\.jar$|\.original$/;

/** The jars (or wars) directly in `dir`, sorted. */
export function filesIn(dir: string, files: readonly string[], suffix: string): string[] {
  const prefix = dir === "." ? "" : `${dir}/`;
  return files
    .filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes("/") && f.endsWith(suffix))
    .filter((f) => !NOT_THE_APP.test(f))
    .sort();
}

/**
 * The manifest Class-Path entries of `jar` that exist, as top-level paths to keep beside it
 * (`libs/a.jar libs/b.jar` → `target/libs`), or undefined when some entry is missing.
 */
export function classPathKept(jar: string, manifest: JarManifest, files: ReadonlySet<string>): string[] | undefined {
  if (manifest.classPath.length === 0) return undefined;
  const base = posix.dirname(jar);
  const keep = new Set<string>();
  for (const entry of manifest.classPath) {
    const rel = posix.normalize(posix.join(base, decodeURIComponent(entry))).replace(/\/$/, "");
    if (rel.startsWith("..")) return undefined;
    const isDir = entry.endsWith("/");
    if (!isDir && !files.has(rel)) return undefined;
    const inside = base === "." ? rel : rel.slice(base.length + 1);
    const top = inside.split("/")[0] as string;
    keep.add(base === "." ? top : `${base}/${top}`);
  }
  return [...keep].filter((k) => k !== jar).sort();
}

/**
 * The runnable in `inputs.dir`, or undefined when it holds none. Quarkus' fast-jar first,
 * then executable jars (a jar whose Class-Path resolves is kept with its libraries; among
 * self-contained ones the largest, which carries its dependencies), then a WAR, then classes.
 *
 * @example
 * chooseRunnable({ dir: "target", files: ["target/quarkus-app/quarkus-run.jar"], manifests: new Map(), sizes: new Map() })
 * // { kind: "jar", jar: "target/quarkus-app/quarkus-run.jar", keep: ["target/quarkus-app"] }
 */
export function chooseRunnable(inputs: RunnableInputs): Runnable | undefined {
  const { dir, files } = inputs;
  const prefix = dir === "." ? "" : `${dir}/`;
  const quarkus = `${prefix}quarkus-app/quarkus-run.jar`;
  if (files.includes(quarkus)) return { kind: "jar", jar: quarkus, keep: [`${prefix}quarkus-app`] };
  // quarkus-app's contents themselves: the runner reads app/ and quarkus/, which its
  // Class-Path (lib/boot/ only) does not name, so the whole dir is kept.
  if (files.includes(`${prefix}quarkus-run.jar`)) {
    const keep = dir === "." ? [...new Set(files.map((f) => f.split("/")[0] as string))].sort() : [dir];
    return { kind: "jar", jar: `${prefix}quarkus-run.jar`, keep };
  }
  const all = new Set(files);
  const executable = filesIn(dir, files, ".jar").filter((j) => inputs.manifests.get(j)?.mainClass);
  if (executable.length > 0) {
    const size = (j: string) => inputs.sizes.get(j) ?? 0;
    // Several executable jars (the assembly plugin's jar-with-dependencies beside the plain
    // one, or shade's): the one that carries its dependencies is the largest.
    const [jar] = [...executable].sort((a, b) => size(b) - size(a) || a.localeCompare(b)) as [string];
    const keep = classPathKept(jar, inputs.manifests.get(jar) as JarManifest, all);
    return keep ? { kind: "jar", jar, keep: [jar, ...keep] } : { kind: "exploded", jar };
  }
  const wars = filesIn(dir, files, ".war");
  if (wars.length > 1) {
    throw new CnbError(`${dir} has ${wars.length} WARs (${wars.join(", ")}); cnbkit/java runs one`, {
      hint: "Set BP_MAVEN_BUILT_ARTIFACT to the one to run",
    });
  }
  if (wars[0]) return { kind: "war", war: wars[0] };
  const classes = `${prefix}classes`;
  if (!files.some((f) => f.startsWith(`${classes}/`) && f.endsWith(".class"))) return undefined;
  const found = inputs.mainClasses ?? [];
  // Classes with no main method are a library's (a module of a multi-module build).
  if (!inputs.pomMainClass && found.length === 0) return undefined;
  const mainClass = inputs.pomMainClass ?? onlyMainClass(classes, found);
  const dependencies = `${prefix}dependency`;
  const hasDeps = files.some((f) => f.startsWith(`${dependencies}/`) && f.endsWith(".jar"));
  return { kind: "classpath", classes, ...(hasDeps ? { dependencies } : {}), mainClass };
}

function onlyMainClass(classes: string, found: readonly string[]): string {
  if (found.length === 1) return found[0] as string;
  throw new CnbError(
    `${classes} has ${found.length} classes with a main method (${found.slice(0, 5).join(", ")}${found.length > 5 ? ", ..." : ""}) and no executable jar was built`,
    {
      hint: "Name the main class in the pom (exec-maven-plugin's or maven-jar-plugin's <mainClass>), or build an executable jar",
    },
  );
}

/**
 * The first main class a pom names (exec-maven-plugin's, maven-jar-plugin's, the assembly
 * plugin's `<mainClass>`, or `mainClass:` in a polyglot pom.yaml), if any.
 */
export function pomMainClass(pom: string | undefined): string | undefined {
  const m = /<mainClass>\s*([\w.$]+)\s*<\/mainClass>|\bmainClass\s*[:=]\s*['"]?([\w.$]+)/.exec(pom ?? "");
  return m?.[1] ?? m?.[2];
}

/** How {@link chooseRunnable}'s answer reads in the log. */
export function describeRunnable(r: Runnable): string {
  switch (r.kind) {
    case "exploded":
      return `executable jar ${r.jar}`;
    case "jar":
      return r.jar.endsWith("quarkus-app/quarkus-run.jar")
        ? `Quarkus fast-jar ${r.jar}`
        : `jar ${r.jar} with its Class-Path (${r.keep.filter((k) => k !== r.jar).join(", ")})`;
    case "war":
      return `WAR ${r.war}`;
    case "classpath":
      return `classes ${r.classes}${r.dependencies ? ` + ${r.dependencies}/*` : ""}, main class ${r.mainClass}`;
  }
}
