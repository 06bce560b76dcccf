/**
 * What a layer's tar headers must not say: a setuid or setgid file (a buildpack's program
 * that runs as its owner whatever user starts it: a root escalation in an image nobody
 * audited), a world-writable file or dir (any process of the app may rewrite what others
 * run), and, in a buildpack's layer or the app, an owner other than the CNB user the spec
 * gives them (the lifecycle writes them so; anything else is a lifecycle or platform bug).
 *
 * setuid and setgid are refused, not dropped: dropping them means rewriting a layer the
 * lifecycle has already digested and recorded in the image's labels and the cache, and a
 * buildpack that sets the bit does so on purpose, so the program would silently behave
 * otherwise than its author meant. One line tells the author what to fix instead.
 */

/** What {@link entryHygiene} finds in one tar entry. */
export type HygieneFinding =
  | { kind: "setuid"; path: string; mode: number }
  | { kind: "world-writable"; path: string; mode: number }
  | { kind: "owner"; path: string; uid: number; gid: number };

/** The header fields the checks read (tar-stream's names). */
export interface EntryHeader {
  name: string;
  type?: string | null;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
}

/** The owner the spec gives the files of buildpack layers and the app. */
export interface CnbOwner {
  uid: number;
  gid: number;
}

/** A tar entry's name as the checks name it: no leading `/` or `./`, no trailing `/`. */
export function entryPath(name: string): string {
  return name.replace(/^\.?\//, "").replace(/\/$/, "");
}

/**
 * The findings of one entry. `owned` says whether the entry is one the CNB user must own:
 * under `layers/<buildpack>/<layer>/` or `workspace/`.
 */
export function entryHygiene(header: EntryHeader, owner: CnbOwner): HygieneFinding[] {
  const path = entryPath(header.name);
  const mode = header.mode ?? 0;
  const findings: HygieneFinding[] = [];
  if (header.type === "symlink" || header.type === "link") return findings; // modes of links mean nothing
  if (mode & 0o6000) findings.push({ kind: "setuid", path, mode });
  if (mode & 0o002) findings.push({ kind: "world-writable", path, mode });
  if (mustBeCnbOwned(path) && (header.uid !== owner.uid || header.gid !== owner.gid)) {
    findings.push({ kind: "owner", path, uid: header.uid ?? 0, gid: header.gid ?? 0 });
  }
  return findings;
}

/** Whether the spec has the CNB user own `path`: a buildpack layer's content or the app's. */
function mustBeCnbOwned(path: string): boolean {
  return /^layers\/[^/]+\/[^/]+\/./.test(path) || /^workspace\/./.test(path);
}

/** `mode`'s permission bits as `ls -l` would show their octal: `4755`. */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}
