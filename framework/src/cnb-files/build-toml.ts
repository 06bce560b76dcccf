/** `<layers>/build.toml`: plan entries this buildpack was given but did not provide (`[[unmet]]`). */
import { reqStr, tableArray } from "./fields.js";
import { parseToml, stringifyToml } from "./toml.js";

/** `[[unmet]]`. */
export interface Unmet {
  name: string;
}

/** The whole build.toml. */
export interface BuildToml {
  unmet: Unmet[];
}

/** Parses build.toml; legacy `[[bom]]` is ignored and a missing `[[unmet]]` is `[]`. */
export function parseBuildToml(text: string, file: string): BuildToml {
  const doc = parseToml(text, file);
  return {
    unmet: tableArray(doc, "unmet", file, "[[unmet]]").map((u, i) => ({
      name: reqStr(u, "name", file, `[[unmet]][${i}].name`),
    })),
  };
}

/** Writes build.toml; the result is validated by parsing it back. */
export function stringifyBuildToml(b: BuildToml): string {
  const text = b.unmet.length === 0 ? "" : stringifyToml({ unmet: b.unmet.map((u) => ({ name: u.name })) });
  parseBuildToml(text, "build.toml");
  return text;
}
