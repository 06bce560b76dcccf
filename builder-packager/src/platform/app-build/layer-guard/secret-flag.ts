/**
 * `cnbkit build --secret id=NAME,src=FILE[,type=TYPE]`: a binding for this build only, made
 * from one file, BuildKit's flag for the CNB spec's bindings. The file lands in a binding dir
 * of the per-build work dir (never in the app or the cache) under the name the reference
 * buildpacks read for its type, so a user gives an .npmrc or a settings.xml without making
 * the servicebinding.io directory by hand; its values are scanned for like any binding's.
 */
import { chmod, copyFile, mkdir, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";

/** One `--secret`: the binding's name, the file, and its binding type. */
export interface SecretFlag {
  id: string;
  src: string;
  type: string;
}

/**
 * The file name each binding type's readers look for: the Node.js buildpack's `.npmrc` and
 * `.yarnrc.yml`, the Java buildpack's `settings.xml` (Maven) and `gradle.properties`, the Go
 * and Python buildpacks' `.netrc`, the Python buildpack's `index-url` (pip, uv and Poetry
 * install from it).
 */
export const SECRET_FILE_OF_TYPE: Readonly<Record<string, string>> = {
  npmrc: ".npmrc",
  yarnrc: ".yarnrc.yml",
  maven: "settings.xml",
  gradle: "gradle.properties",
  netrc: ".netrc",
  pip: "index-url",
  uv: "index-url",
  poetry: "index-url",
};

/** Parses `id=NAME,src=FILE[,type=TYPE]`; the type defaults to the id (`--secret id=npmrc,src=~/.npmrc`). */
export function parseSecretFlag(spec: string): SecretFlag {
  const fields = new Map<string, string>();
  for (const part of spec.split(",")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq);
    if (eq <= 0 || !["id", "src", "type"].includes(key) || fields.has(key)) {
      throw new CnbError(`--secret "${spec}" is not id=<name>,src=<file>[,type=<type>]`);
    }
    fields.set(key, part.slice(eq + 1));
  }
  const id = fields.get("id");
  const src = fields.get("src");
  if (!id || !src) throw new CnbError(`--secret "${spec}" needs both id=<name> and src=<file>`);
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new CnbError(`--secret id "${id}" is not a valid binding name`);
  const type = fields.get("type") ?? id;
  if (!SECRET_FILE_OF_TYPE[type]) {
    throw new CnbError(
      `--secret ${id}: type "${type}" is not one of ${Object.keys(SECRET_FILE_OF_TYPE).join(", ")}; for another layout, make the binding dir and pass --binding ${id}=<dir>`,
    );
  }
  return { id, src: resolve(src), type };
}

/**
 * Writes each secret's binding dir under `<work>/secrets` (the type, the file under its
 * type's name) and returns them as bindings. A missing file is one line.
 */
export async function secretBindingDirs(
  work: string,
  secrets: readonly SecretFlag[],
  bindingNames: readonly string[] = [],
): Promise<{ name: string; dir: string }[]> {
  const dirs: { name: string; dir: string }[] = [];
  const taken = new Set(bindingNames);
  for (const secret of secrets) {
    // Both would be /platform/bindings/<name>: one would hide the other.
    if (taken.has(secret.id)) {
      throw new CnbError(
        `--secret ${secret.id}: a binding named ${secret.id} is given already (--binding or another --secret); give each a name of its own`,
      );
    }
    taken.add(secret.id);
    if (!(await stat(secret.src).catch(() => undefined))?.isFile()) {
      throw new CnbError(`--secret ${secret.id}: ${secret.src} is not a file`);
    }
    const dir = join(work, "secrets", secret.id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "type"), secret.type);
    await writeFile(join(dir, "provider"), "cnbkit --secret");
    const file = join(dir, SECRET_FILE_OF_TYPE[secret.type]!);
    await copyFile(secret.src, file);
    // The CNB user reads it (a ~/.npmrc is often 0600, root's); the work dir itself is 0700.
    await chmod(file, 0o644);
    dirs.push({ name: secret.id, dir });
  }
  return dirs;
}
