/**
 * Polyglot Maven (io.takari.polyglot): a core extension named in `.mvn/extensions.xml` lets
 * Maven read `pom.yaml`, `pom.groovy`, `pom.kts`, ... instead of pom.xml. Such an app is a
 * Maven app (Maven 3.3.1 or newer loads the extension itself). Pure.
 */

/** The pom file names polyglot-maven reads, in its own order of preference. */
export const POLYGLOT_POMS: readonly string[] = [
  "pom.yaml",
  "pom.yml",
  "pom.groovy",
  "pom.kts",
  "pom.rb",
  "pom.scala",
  "pom.clj",
  "pom.atom",
  "pom.java",
];

/**
 * The polyglot pom that `extensions` (the text of .mvn/extensions.xml) enables among the
 * root files `has` finds, or undefined.
 *
 * @example
 * polyglotPom("<groupId>io.takari.polyglot</groupId>", (f) => f === "pom.yaml") // "pom.yaml"
 */
export function polyglotPom(extensions: string | undefined, has: (file: string) => boolean): string | undefined {
  if (!extensions || !/<groupId>\s*io\.takari\.polyglot\s*<\/groupId>/.test(extensions)) return undefined;
  return POLYGLOT_POMS.find(has);
}
