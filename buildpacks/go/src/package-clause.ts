/**
 * A Go file's package name, read from its head as the go command reads it: the `package`
 * clause after any comments, unless a build constraint leaves the file out of every build
 * (`//go:build ignore`, the generators many repositories keep beside their code). Pure.
 */

/**
 * The package a .go file declares, or undefined when it has none or is left out of builds.
 *
 * @example
 * packageClause("// Command api serves the API.\npackage main\n"); // "main"
 * packageClause("//go:build ignore\n\npackage main\n");            // undefined
 */
export function packageClause(head: string): string | undefined {
  let inBlock = false;
  for (const raw of head.split("\n")) {
    let line = raw.trim();
    if (inBlock) {
      const end = line.indexOf("*/");
      if (end < 0) continue;
      inBlock = false;
      line = line.slice(end + 2).trim();
    }
    if (line === "") continue;
    if (/^\/\/\s*go:build\s+ignore\s*$/.test(line) || /^\/\/\s*\+build\s+ignore\s*$/.test(line)) return undefined;
    if (line.startsWith("//")) continue;
    if (line.startsWith("/*")) {
      const end = line.indexOf("*/", 2);
      if (end < 0) {
        inBlock = true;
        continue;
      }
      line = line.slice(end + 2).trim();
      if (line === "") continue;
    }
    return /^package\s+([A-Za-z_]\w*)/.exec(line)?.[1];
  }
  return undefined;
}
