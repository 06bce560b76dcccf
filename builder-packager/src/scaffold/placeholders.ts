/**
 * Template placeholders: `{{id}}`, `{{name}}`, ... replaced by their values. A placeholder
 * with no value is an error naming the template file, so a template typo never reaches a
 * user's project.
 */
import { CnbError } from "@cnbkit/framework";

/** The values a template can use. */
export interface PlaceholderValues {
  /** The buildpack (or builder) id, e.g. `acme/hello`. */
  id: string;
  /** The human name, e.g. `Acme Hello`. */
  name: string;
  /** The target directory's base name. */
  dirName: string;
  /** The id with `/` as `_`: a file name (`acme_hello.cnb`). */
  fileName: string;
  /** An npm package name derived from dirName. */
  packageName: string;
  /** The organisation: the id up to its first `/` (or the whole id). */
  org: string;
  /** The `@cnbkit/framework` dependency spec. */
  frameworkSpec: string;
  /** The `@cnbkit/builder-packager` (cnbkit CLI) dependency spec. */
  cliSpec: string;
}

const PLACEHOLDER = /\{\{([A-Za-z]+)\}\}/g;

/**
 * Replaces every `{{key}}` of `text`.
 *
 * @throws CnbError naming `where` and the key when a placeholder has no value.
 * @example
 * fillPlaceholders('id = "{{id}}"', values, "buildpack.toml"); // 'id = "acme/hello"'
 */
export function fillPlaceholders(text: string, values: PlaceholderValues, where: string): string {
  return text.replace(PLACEHOLDER, (whole, key: string) => {
    if (!Object.hasOwn(values, key)) {
      throw new CnbError(`template ${where}: unknown placeholder ${whole}`, {
        hint: `Known placeholders: ${Object.keys(values)
          .map((k) => `{{${k}}}`)
          .join(", ")}`,
      });
    }
    return values[key as keyof PlaceholderValues];
  });
}

/** An npm package name from a directory name: lower case, `[a-z0-9._-]`, not starting with `.` or `_`. */
export function npmPackageName(dirName: string): string {
  const s = dirName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "")
    .replace(/-+$/, "");
  return s === "" ? "buildpack" : s;
}
