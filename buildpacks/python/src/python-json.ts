/**
 * `json.dumps(value, sort_keys=True)` as Python writes it (pure), for the lockfile hashes that
 * tools compute over parsed TOML: Pipenv's (compact separators) and Poetry's content-hash
 * (Python's default `", "` and `": "`).
 */

/**
 * Keys sorted, and every character outside printable ASCII escaped as `\uXXXX` (Python's
 * ensure_ascii), which JSON.stringify leaves as it is.
 *
 * @example
 * pythonJson({ b: 1, a: [1, 2] }, { compact: false }) // '{"a": [1, 2], "b": 1}'
 */
export function pythonJson(value: unknown, opts: { compact: boolean }): string {
  const [item, key] = opts.compact ? [",", ":"] : [", ", ": "];
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(write).join(item)}]`;
    if (v && typeof v === "object" && !(v instanceof Date)) {
      // Keys in code-unit order, written by hand: a JS object would put "10" before "9".
      const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, x]) => `${JSON.stringify(k)}${key}${write(x)}`).join(item)}}`;
    }
    if (v === undefined || v === null) return "null";
    return JSON.stringify(v);
  };
  return write(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
