/**
 * gradle/wrapper/gradle-wrapper.properties as the wrapper reads it (a Java properties file:
 * `distributionUrl=https\://services.gradle.org/distributions/gradle-8.14.3-bin.zip`), and the
 * same text with another distributionUrl. Pure.
 */

/** Where the wrapper's properties are, relative to the app dir. */
export const WRAPPER_PROPERTIES = "gradle/wrapper/gradle-wrapper.properties";

const ENTRY = /^(\s*)([^#!=:\s]+)(\s*[=:]\s*|\s+)(.*)$/;

/** A property's value with Java's escapes undone (`\:` → `:`), or undefined when unset. */
export function wrapperProperty(text: string, key: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*[#!]/.test(line)) continue;
    const m = ENTRY.exec(line);
    if (m?.[2] === key) return unescapeJava(m[4] ?? "").trim();
  }
  return undefined;
}

/**
 * The text with `distributionUrl` set to `url` (escaped as Gradle writes it), every other line
 * as it was.
 *
 * @example
 * withDistributionUrl("distributionUrl=https\\://a/g.zip\n", "http://127.0.0.1:8080/g.zip")
 * // "distributionUrl=http\\://127.0.0.1\\:8080/g.zip\n"
 */
export function withDistributionUrl(text: string, url: string): string {
  const escaped = url.replace(/\\/g, "\\\\").replace(/([:=])/g, "\\$1");
  return text
    .split("\n")
    .map((line) => {
      const m = ENTRY.exec(line.replace(/\r$/, ""));
      if (/^\s*[#!]/.test(line) || m?.[2] !== "distributionUrl") return line;
      return `${m[1]}distributionUrl=${escaped}${line.endsWith("\r") ? "\r" : ""}`;
    })
    .join("\n");
}

function unescapeJava(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => ({ t: "\t", n: "\n", r: "\r", f: "\f" })[c] ?? c);
}
