/**
 * Which image labels the settings ask for: each `BP_OCI_*` variable is one of the OCI
 * image spec's pre-defined annotations ({@link OCI_LABELS}), and `BP_IMAGE_LABELS` holds
 * any others as shell-quoted `key=value` pairs ({@link parseImageLabels}), as Paketo's
 * image-labels buildpack reads them.
 */
import { CnbError } from "@cnbkit/framework";
import type { Label } from "@cnbkit/framework/cnb-files";

/** The setting with free-form labels. */
export const IMAGE_LABELS = "BP_IMAGE_LABELS";

/** `BP_OCI_*` settings and the `org.opencontainers.image.*` label each one sets, in this order. */
export const OCI_LABELS: Readonly<Record<string, string>> = {
  BP_OCI_AUTHORS: "org.opencontainers.image.authors",
  BP_OCI_CREATED: "org.opencontainers.image.created",
  BP_OCI_DESCRIPTION: "org.opencontainers.image.description",
  BP_OCI_DOCUMENTATION: "org.opencontainers.image.documentation",
  BP_OCI_LICENSES: "org.opencontainers.image.licenses",
  BP_OCI_REF_NAME: "org.opencontainers.image.ref.name",
  BP_OCI_REVISION: "org.opencontainers.image.revision",
  BP_OCI_SOURCE: "org.opencontainers.image.source",
  BP_OCI_TITLE: "org.opencontainers.image.title",
  BP_OCI_URL: "org.opencontainers.image.url",
  BP_OCI_VENDOR: "org.opencontainers.image.vendor",
  BP_OCI_VERSION: "org.opencontainers.image.version",
};

/** Every setting this buildpack reads; detect passes when one is non-empty. */
export const SETTINGS: readonly string[] = [IMAGE_LABELS, ...Object.keys(OCI_LABELS)];

const HINT = `write ${IMAGE_LABELS} as key=value pairs separated by spaces, quoting a value with spaces: a=b c='d e'`;

/**
 * Parses `BP_IMAGE_LABELS`: words separated by unquoted whitespace, each `key=value`, split
 * at the first unquoted `=` (so a value may hold more). As in sh, `'…'` and `"…"` quote
 * (spaces, `=`) and a backslash outside quotes takes the next character literally; as in
 * Paketo, `\'` inside single quotes and `\"` or `\\` inside double quotes are the character
 * itself (`key='it\'s'`). Quoted and unquoted parts of a word join, as in sh. A key given
 * twice keeps its last value, as Paketo's map does. Throws a one-line {@link CnbError}
 * naming the character at fault for an unclosed quote, a word without `=`, or an empty key.
 *
 * @example
 * parseImageLabels(`a=b c='d e' "x y"=1`) // [{ key: "a", value: "b" }, { key: "c", value: "d e" }, { key: "x y", value: "1" }]
 */
export function parseImageLabels(text: string): Label[] {
  const out = new Map<string, string>();
  let i = 0;
  const bad = (what: string, at: number): never => {
    throw new CnbError(`${IMAGE_LABELS}: ${what} at character ${at + 1} of ${JSON.stringify(text)}`, { hint: HINT });
  };
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const start = i;
    let key: string | undefined;
    let word = "";
    while (i < text.length && !/\s/.test(text[i]!)) {
      const ch = text[i]!;
      if (ch === "'" || ch === '"') {
        const open = i++;
        for (;;) {
          if (i >= text.length) bad(`unclosed ${ch} quote`, open);
          const c = text[i]!;
          if (c === ch) break;
          if (c === "\\" && (text[i + 1] === ch || (ch === '"' && text[i + 1] === "\\"))) i++;
          word += text[i++];
        }
        i++;
      } else if (ch === "\\" && i + 1 < text.length) {
        word += text[i + 1];
        i += 2;
      } else if (ch === "=" && key === undefined) {
        if (word === "") bad("empty label key", i);
        key = word;
        word = "";
        i++;
      } else {
        word += ch;
        i++;
      }
    }
    if (key === undefined) return bad(`${JSON.stringify(text.slice(start, i))} is not key=value`, start);
    out.delete(key);
    out.set(key, word);
  }
  return [...out].map(([key, value]) => ({ key, value }));
}

/**
 * The labels `settings` ask for: the `BP_OCI_*` ones in {@link OCI_LABELS} order, then
 * `BP_IMAGE_LABELS`' sorted by key (as Paketo sorts them). Empty settings are unset. A label
 * set both ways is an error, as an image cannot carry a key twice.
 */
export function imageLabels(settings: Readonly<Record<string, string | undefined>>): Label[] {
  const labels: Label[] = [];
  const from = new Map<string, string>();
  for (const [name, key] of Object.entries(OCI_LABELS)) {
    const value = settings[name];
    if (value === undefined || value === "") continue;
    labels.push({ key, value });
    from.set(key, name);
  }
  const free = parseImageLabels(settings[IMAGE_LABELS] ?? "").sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  for (const l of free) {
    const other = from.get(l.key);
    if (other) throw new CnbError(`${other} and ${IMAGE_LABELS} both set the label ${l.key}`, { hint: "keep one" });
    labels.push(l);
  }
  return labels;
}
