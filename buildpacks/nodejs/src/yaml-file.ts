/**
 * Reads the YAML files Node projects carry (pnpm-lock.yaml, pnpm-workspace.yaml, berry's
 * yarn.lock) with the `yaml` package, using the failsafe schema: every scalar stays a
 * string, which is what lockfile readers want (`version: 1.10` must not become 1.1).
 */
import { CnbError } from "@cnbkit/framework";
import { parse, YAMLParseError } from "yaml";

/** A parsed YAML value under the failsafe schema: a string, a list, or a mapping. */
export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

/**
 * Parses `text` (named `file` in errors) into nested objects, arrays and strings.
 *
 * @example
 * parseYamlFile("packages:\n  - 'apps/*'\n", "pnpm-workspace.yaml") // { packages: ["apps/*"] }
 */
export function parseYamlFile(text: string, file: string): { [key: string]: YamlValue } {
  let doc: unknown;
  try {
    doc = parse(text, { schema: "failsafe", uniqueKeys: false });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const where = err.linePos?.[0] ? `:${err.linePos[0].line}:${err.linePos[0].col}` : "";
      throw new CnbError(`${file}${where}: invalid YAML: ${err.message.split("\n")[0]}`);
    }
    throw err;
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new CnbError(`${file}: expected a mapping at the top level`);
  return doc as { [key: string]: YamlValue };
}
