/**
 * Which bytes of a build's bindings are secrets, as the layer scan looks for them: the
 * needles. A binding's files are the secrets a buildpack reads during the build only; a copy
 * of one in a layer ships it to every registry the image reaches.
 *
 * The rule, and why each part:
 * - `type` and `provider` are no secret (the servicebinding.io spec's own metadata), and
 *   neither is a file whose name starts with `..` (Kubernetes' `..data` links).
 * - A binding of a public type is skipped whole: `ca-certificates` (certificates go into the
 *   image on purpose: that is the ca-certificates buildpack's job), `dependency-mapping`
 *   (URIs that buildpacks record in layer metadata) and cnbkit's own arch-neutral store.
 * - A file's whole content (trimmed) is a needle when it is short enough to be one value
 *   (at most {@link MAX_WHOLE_FILE} bytes): a token file, a password file, a small .npmrc.
 * - Inside any file, the values of credential-looking fields are needles too: `password`,
 *   `token`, `_auth`, `secret`, ... in `key=value`, `key: value`, netrc's `password value` and
 *   XML's `<password>value</password>`, and a URL's `user:password@`. So a buildpack that
 *   copies only the token out of an .npmrc, or the password out of a settings.xml, is caught.
 * - A needle shorter than {@link MIN_NEEDLE} bytes is dropped: short values ("true",
 *   "8080", a user name) occur by chance in any JDK, and a false alarm stops a good build.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** A needle shorter than this is dropped (see the module comment). */
export const MIN_NEEDLE = 8;

/** A file longer than this is not one value: only its credential fields are needles. */
export const MAX_WHOLE_FILE = 4096;

/** A file longer than this is no credential file at all (a bundle, an archive): skipped. */
const MAX_READ = 1024 * 1024;

/** Binding types whose files are public by design (see the module comment). */
export const PUBLIC_BINDING_TYPES: readonly string[] = ["ca-certificates", "dependency-mapping", "arch-neutral"];

/** Entries of a binding that are metadata, not secrets. */
const METADATA_ENTRIES = new Set(["type", "provider"]);

/** One secret value to look for, and where it came from (for the one-line error). */
export interface Needle {
  bytes: Buffer;
  /** How the user named it: `binding "npmrc"` or `--secret npmrc`. */
  source: string;
  /** The binding's file that holds it. */
  file: string;
}

/** A binding as the scan sees it: its name, its dir, and how the user gave it. */
export interface SecretSource {
  name: string;
  dir: string;
  /** True for a `--secret` (named so in the error), false for a `--binding`/`--volume`. */
  flag?: boolean;
}

/** Field names whose values are credentials (matched case-insensitively, anywhere in the key). */
const CREDENTIAL_KEY = /(password|passwd|token|secret|_auth|api[-_]?key|credential|private[-_]?key)/i;

/**
 * The credential values inside `text` (see the module comment): fields named like a
 * credential, in the forms ini/npmrc/properties, YAML, netrc and XML write them, and URL
 * passwords.
 */
export function credentialValues(text: string): string[] {
  const values: string[] = [];
  // key=value (ini, .npmrc, whose keys hold ':', properties), then YAML's key: value.
  for (const m of text.matchAll(/^[ \t]*([^\s=#;][^=\n]*?)[ \t]*=[ \t]*(\S.*?)[ \t]*$/gm)) {
    if (CREDENTIAL_KEY.test(m[1]!)) values.push(unquote(m[2]!));
  }
  for (const m of text.matchAll(/^[ \t]*([A-Za-z0-9_.-]+)[ \t]*:[ \t]+(\S.*?)[ \t]*$/gm)) {
    if (CREDENTIAL_KEY.test(m[1]!)) values.push(unquote(m[2]!));
  }
  for (const m of text.matchAll(/\b(?:password|passwd|token)[ \t]+(\S+)/gi)) values.push(m[1]!);
  for (const m of text.matchAll(/<([A-Za-z]*(?:password|passphrase|token|secret)[A-Za-z]*)>([^<]+)<\/\1>/gi)) {
    values.push(m[2]!.trim());
  }
  for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:([^\s/@]+)@/gi)) values.push(m[1]!);
  return values;
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/**
 * The needles of `sources`: each binding's secret values by the rule of the module
 * comment, deduplicated (the first source that has a value names it).
 */
export async function secretNeedles(sources: SecretSource[]): Promise<Needle[]> {
  const seen = new Set<string>();
  const needles: Needle[] = [];
  for (const source of sources) {
    const label = source.flag ? `--secret ${source.name}` : `binding "${source.name}"`;
    for (const { file, text } of await secretFiles(source.dir)) {
      const values =
        text.trim().length <= MAX_WHOLE_FILE ? [text.trim(), ...credentialValues(text)] : credentialValues(text);
      for (const value of values) {
        const bytes = Buffer.from(value);
        if (bytes.length < MIN_NEEDLE || seen.has(value)) continue;
        seen.add(value);
        needles.push({ bytes, source: label, file });
      }
    }
  }
  return needles;
}

/** The secret files of the binding at `dir` (none for a public type), with their text. */
async function secretFiles(dir: string): Promise<{ file: string; text: string }[]> {
  const type = (await readFile(join(dir, "type"), "utf8").catch(() => "")).trim();
  if (PUBLIC_BINDING_TYPES.includes(type)) return [];
  const files: { file: string; text: string }[] = [];
  for (const file of (await readdir(dir)).sort()) {
    if (METADATA_ENTRIES.has(file) || file.startsWith("..")) continue;
    const info = await stat(join(dir, file)).catch(() => undefined); // follows links, as a buildpack reads
    if (!info?.isFile() || info.size > MAX_READ) continue;
    files.push({ file, text: await readFile(join(dir, file), "utf8") });
  }
  return files;
}
