/**
 * A jar's META-INF/MANIFEST.MF read as the JAR spec writes it: `Name: value` lines, with a
 * value continued on the next line when that line starts with one space (writers wrap at 72
 * bytes). Only the main section counts; per-entry sections after the first blank line are
 * ignored. Pure: the text is passed in.
 */

/** What this buildpack reads from a manifest. */
export interface JarManifest {
  /** Every main-section attribute, by name as written. */
  attributes: Record<string, string>;
  mainClass?: string;
  /** Spring Boot's real main class (Main-Class is then its JarLauncher). */
  startClass?: string;
  springBootVersion?: string;
  /** Where Spring Boot's layers index is, e.g. `BOOT-INF/layers.idx`. */
  springBootLayersIndex?: string;
  springBootClasspathIndex?: string;
  buildJdkSpec?: string;
  /** `Class-Path`: space-separated relative URLs of more jars. */
  classPath: string[];
}

/**
 * Parses manifest text.
 *
 * @example
 * parseJarManifest("Manifest-Version: 1.0\nMain-Class: com.example.App\n").mainClass // "com.example.App"
 */
export function parseJarManifest(text: string): JarManifest {
  const attributes: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/)) {
    if (line === "") {
      if (last !== undefined) break; // the main section ends at the first blank line
      continue;
    }
    if (line.startsWith(" ") && last !== undefined) {
      attributes[last] += line.slice(1);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    attributes[last] = line.slice(colon + 1).replace(/^ /, "");
  }
  const get = (name: string) => {
    const v = attributes[name]?.trim();
    return v ? v : undefined;
  };
  const out: JarManifest = { attributes, classPath: (get("Class-Path") ?? "").split(/\s+/).filter(Boolean) };
  const fields: [keyof JarManifest, string][] = [
    ["mainClass", "Main-Class"],
    ["startClass", "Start-Class"],
    ["springBootVersion", "Spring-Boot-Version"],
    ["springBootLayersIndex", "Spring-Boot-Layers-Index"],
    ["springBootClasspathIndex", "Spring-Boot-Classpath-Index"],
    ["buildJdkSpec", "Build-Jdk-Spec"],
  ];
  for (const [key, name] of fields) {
    const v = get(name);
    if (v !== undefined) (out as unknown as Record<string, string>)[key] = v;
  }
  return out;
}
