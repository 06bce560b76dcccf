/**
 * The per-build copy of the app source that the lifecycle sees as /workspace.
 *
 * The build works on a copy so buildpacks never write into the user's tree, and so the
 * files can be owned by the CNB user. Project descriptor 0.2 (`project.toml`) decides what
 * is copied: `[io.buildpacks] include = [...]` (only these) or `exclude = [...]` (all but
 * these), gitignore-style patterns; it also gives build-time env
 * (`[[io.buildpacks.build.env]] name/value`). Older `[build]` tables (descriptor 0.1) are
 * read the same way.
 */
import { copyFile, lchown, lstat, mkdir, readdir, readFile, readlink, rmdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";

/** What project.toml says about the build. */
export interface ProjectDescriptor {
  include?: string[];
  exclude?: string[];
  env: Record<string, string>;
}

/** Reads `<appDir>/project.toml` (absent: no filters, no env). */
export async function readProjectDescriptor(appDir: string): Promise<ProjectDescriptor> {
  const file = join(appDir, "project.toml");
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return { env: {} };
  const doc = parseToml(text, "project.toml");
  const io = ((doc.io as TomlTable | undefined)?.buildpacks ?? doc.build) as TomlTable | undefined;
  if (!io) return { env: {} };
  const list = (key: string): string[] | undefined => {
    const v = io[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      throw new CnbError(`project.toml: [io.buildpacks].${key} must be a list of strings`);
    }
    return v as string[];
  };
  const include = list("include");
  const exclude = list("exclude");
  if (include && exclude) {
    throw new CnbError("project.toml: [io.buildpacks] may have include or exclude, not both");
  }
  const env: Record<string, string> = {};
  const build = io.build as TomlTable | undefined;
  const envList = (build?.env ?? io.env) as TomlTable[] | undefined;
  for (const [i, e] of (envList ?? []).entries()) {
    if (typeof e.name !== "string" || typeof e.value !== "string") {
      throw new CnbError(`project.toml: [[io.buildpacks.build.env]] entry ${i + 1} needs string name and value`);
    }
    env[e.name] = e.value;
  }
  return { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}), env };
}

/** Compiles one gitignore-style pattern to a matcher of '/'-separated relative paths. */
export function patternMatcher(pattern: string): (path: string, isDir: boolean) => boolean {
  let p = pattern.trim();
  const dirOnly = p.endsWith("/");
  if (dirOnly) p = p.slice(0, -1);
  const anchored = p.includes("/");
  if (p.startsWith("/")) p = p.slice(1);
  let re = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === "*" && p[i + 1] === "*") {
      re += p[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += p[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  const rx = new RegExp(anchored ? `^${re}$` : `^(?:.*/)?${re}$`);
  return (path, isDir) => (!dirOnly || isDir) && rx.test(path);
}

/**
 * Copies `appDir` to `dest` (created), applying project.toml's include/exclude, and makes
 * every copied entry owned by `uid:gid`. project.toml itself is always copied.
 */
export async function copyWorkspace(
  appDir: string,
  dest: string,
  project: ProjectDescriptor,
  owner: { uid: number; gid: number },
): Promise<number> {
  const inc = project.include?.map(patternMatcher);
  const exc = project.exclude?.map(patternMatcher);
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    const from = join(appDir, rel);
    for (const name of (await readdir(from)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const st = await lstat(join(from, name));
      const isDir = st.isDirectory();
      if (exc?.some((m) => m(r, isDir))) continue;
      // With include, a directory is entered when it or something under it may match.
      const included = !inc || r === "project.toml" || inc.some((m) => m(r, isDir));
      if (!included && !isDir) continue;
      const to = join(dest, r);
      if (isDir) {
        if (!included) {
          const before = count;
          await mkdir(to);
          await walk(r);
          if (count === before) await rmdir(to);
          else await lchown(to, owner.uid, owner.gid);
          continue;
        }
        await mkdir(to, { mode: st.mode & 0o7777 });
        await lchown(to, owner.uid, owner.gid);
        await walkAll(r);
        continue;
      }
      await copyEntry(join(from, name), to, st);
      await lchown(to, owner.uid, owner.gid);
      count++;
    }
  };
  // Below an included directory everything is copied (except excludes, which cannot coexist).
  const walkAll = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(appDir, rel))).sort()) {
      const r = `${rel}/${name}`;
      const st = await lstat(join(appDir, r));
      const to = join(dest, r);
      if (st.isDirectory()) {
        await mkdir(to, { mode: st.mode & 0o7777 });
        await lchown(to, owner.uid, owner.gid);
        await walkAll(r);
      } else {
        await copyEntry(join(appDir, r), to, st);
        await lchown(to, owner.uid, owner.gid);
        count++;
      }
    }
  };
  await mkdir(dest, { recursive: true });
  await lchown(dest, owner.uid, owner.gid);
  await walk("");
  return count;
}

async function copyEntry(from: string, to: string, st: { isSymbolicLink(): boolean; isFile(): boolean }) {
  if (st.isSymbolicLink()) await symlink(await readlink(from), to);
  else if (st.isFile()) await copyFile(from, to);
}
