/**
 * A setting that holds a command line (BP_MAVEN_BUILD_ARGUMENTS, BP_GO_BUILD_FLAGS), split
 * into words as a POSIX shell splits them, with quotes and backslashes, and nothing expanded:
 * the words go to the tool as they are, never through a shell.
 */
import { CnbError } from "../errors/index.js";

/**
 * Splits a command line as a POSIX shell would for words and quotes (no expansions).
 *
 * @example
 * shellWords(`-Dx="a b" package`) // ["-Dx=a b", "package"]
 */
export function shellWords(text: string, where: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) word = (word ?? "") + text[++i];
      else word = (word ?? "") + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "\\" && i + 1 < text.length) {
      word = (word ?? "") + text[++i];
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote) throw new CnbError(`${where}: unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (word !== undefined) words.push(word);
  return words;
}
