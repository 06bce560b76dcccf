/**
 * Which of the app's files leave the image once the binaries are built: a pure decision.
 *
 * The Go sources and module files go (`*.go`, go.mod, go.sum, go.work, go.work.sum, vendor/):
 * the binary holds what they compiled to, and source in an image is only something to leak.
 * Everything else stays where it was: templates, static files and config that an app opens at
 * run time (Paketo's go-build removes the whole app unless BP_KEEP_FILES names them, which
 * breaks every app that loads templates from disk; here the sources go and the rest stays).
 * BP_KEEP_FILES (colon-separated globs, as Paketo's) keeps matching sources too.
 */
import { globToRegExp } from "@cnbkit/framework/fs";

const MODULE_FILES = new Set(["go.mod", "go.sum", "go.work", "go.work.sum"]);

/** Whether `path` (app-relative, "/" separated) is Go source or module metadata. */
function isSource(path: string): boolean {
  const name = path.split("/").pop() ?? "";
  return path.endsWith(".go") || MODULE_FILES.has(name) || path === "vendor" || path.startsWith("vendor/");
}

/**
 * The paths to remove among `files` (the app's files, app-relative), keeping what
 * BP_KEEP_FILES matches. A glob matches a path or any dir above it ("assets/*" keeps
 * assets/app.go; "vendor" keeps all of vendor/).
 *
 * @example
 * sourcesToRemove(["main.go", "go.mod", "templates/index.html"], undefined); // ["go.mod", "main.go"]
 */
export function sourcesToRemove(files: readonly string[], keepFiles: string | undefined): string[] {
  const keep = (keepFiles ?? "")
    .split(":")
    .map((g) => g.trim().replace(/^\.\//, "").replace(/\/$/, ""))
    .filter((g) => g !== "")
    .map(globToRegExp);
  const kept = (path: string) => {
    const parts = path.split("/");
    return keep.some((re) => parts.some((_, n) => re.test(parts.slice(0, n + 1).join("/"))));
  };
  return files.filter((f) => isSource(f) && !kept(f)).sort();
}
