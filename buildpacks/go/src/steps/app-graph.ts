/**
 * The digest of what an app's package graph depends on inside the app: the path and import
 * head (go-head.ts) of each .go file but tests, and the text of the module files (go.mod,
 * go.sum, go.work, go.work.sum, vendor/modules.txt, at any depth). An edit below a file's
 * imports leaves it as it was, so what `go list -deps` said about the graph (which packages
 * use cgo) still holds. It reads nothing: read-app.ts kept the heads and texts from the one
 * read of each file that the sources' digest made.
 */
import { createHash } from "node:crypto";

/** What the digest covers, as read-app.ts keeps it (its GoApp). */
export interface GraphSources {
  /** Every file of the app, sorted: the digest's order. */
  files: readonly string[];
  /** Each .go file's head but tests'. */
  heads: ReadonlyMap<string, { text: string }>;
  /** Each module file's text. */
  moduleTexts: ReadonlyMap<string, string>;
}

/** The graph digest of `app`. */
export function appGraph(app: GraphSources): string {
  const hash = createHash("sha256");
  for (const path of app.files) {
    const text = app.heads.get(path)?.text ?? app.moduleTexts.get(path);
    if (text !== undefined) hash.update(`${path}\0${text}\0\0`);
  }
  return hash.digest("hex");
}
