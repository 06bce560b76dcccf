/**
 * The files a pip requirements file pulls in: `-r`/`--requirement` and `-c`/`--constraint`
 * lines, followed the way pip follows them (relative to the file that names them, to any
 * depth). The venv's reuse key digests all of them: cookiecutter-django's requirements.txt is
 * the one line `-r requirements/production.txt`, so a key of that file alone reused a venv
 * after the versions in requirements/base.txt changed.
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { CnbError } from "@cnbkit/framework";

/** Options whose value is another requirements or constraints file. */
const FILE_OPTION = /^(?:-r|-c|--requirement|--constraint)(?:=|\s+|(?<=^-[rc]))(\S+)/;

/**
 * The paths a requirements file's text names with `-r`/`-c` (as written, in order). Lines
 * joined by a trailing backslash are one line; comments are dropped; a URL or a path with an
 * environment variable in it is left out (pip would fetch or expand it: nothing here to read).
 *
 * @example
 * includedPaths("-r base.txt\n--constraint=constraints.txt\nflask==3.1.0  # web\n") // ["base.txt", "constraints.txt"]
 */
export function includedPaths(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/\\\r?\n/g, "").split(/\r?\n/)) {
    const line = raw.replace(/(?:^|\s+)#.*$/, "").trim();
    const path = FILE_OPTION.exec(line)?.[1];
    if (path && !/^[a-z][\w+.-]*:\/\//i.test(path) && !path.includes("$")) out.push(path);
  }
  return out;
}

/** A requirements file's text: pip reads UTF-16 (with its BOM) as well as UTF-8. */
export function decodeRequirements(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString("utf16le");
  return bytes.toString("utf8").replace(/^\uFEFF/, "");
}

/**
 * `entry` and every file it includes, app-relative, each once, in the order pip meets them.
 * A named file that is missing or outside the app is left out: pip's own error about it is
 * the one the user sees.
 */
export async function requirementsClosure(appDir: string, entry: string): Promise<string[]> {
  const seen: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    if (seen.includes(rel) || rel === ".." || rel.startsWith(`..${sep}`)) return;
    const bytes = await readFile(join(appDir, rel)).catch(() => undefined);
    if (!bytes) return;
    seen.push(rel);
    for (const p of includedPaths(decodeRequirements(bytes))) {
      if (!p.startsWith("/")) await visit(normalize(join(dirname(rel), p)));
    }
  };
  await visit(normalize(entry));
  return seen;
}

/**
 * BP_PIP_REQUIREMENT's files (Paketo's setting: requirements files other than requirements.txt,
 * separated by spaces or commas), each checked to be a file in the app; none when unset.
 *
 * @throws CnbError one line naming a file that is not in the app.
 * @example
 * await pipRequirementFiles("/workspace", "requirements/prod.txt") // ["requirements/prod.txt"]
 */
export async function pipRequirementFiles(appDir: string, value: string | undefined): Promise<string[]> {
  const files = (value ?? "").split(/[\s,]+/).filter(Boolean);
  const out: string[] = [];
  for (const f of files) {
    const rel = normalize(f);
    const inside = !isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`);
    const isFile =
      inside &&
      (await stat(join(appDir, rel)).then(
        (s) => s.isFile(),
        () => false,
      ));
    if (!isFile) {
      throw new CnbError(`BP_PIP_REQUIREMENT: "${f}" is not a file in the app directory`, {
        hint: "Name requirements files by their path in the app (e.g. requirements/prod.txt), separated by spaces.",
      });
    }
    if (!out.includes(rel)) out.push(rel);
  }
  return out;
}
