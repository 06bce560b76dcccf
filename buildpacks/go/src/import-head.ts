/**
 * A Go file's import head: its text from the start through its last import declaration, as
 * the go command reads a file to learn its package graph (build constraints, the package
 * clause, a cgo preamble, the imports), before any code. Two files with the same heads import
 * the same packages under the same constraints, so an edit below the imports (a function
 * body, a string) leaves the package graph, and what `go list -deps` says of it, as it was.
 * Pure; it scans Go's tokens only as far as it needs (comments, strings, the import forms).
 */

/** Go's whitespace. */
const SPACE = /[ \t\r\n]/;

/** A letter, digit or underscore: a char that continues an identifier. */
const WORD = /[\p{L}\p{Nd}_]/u;

/**
 * The head of `text`: through the end of its last import declaration (or its package clause,
 * with no imports). When the file does not scan as the go command expects (no package clause,
 * an unterminated import block or string), the whole text: a head is only compared, so a
 * longer one costs a `go list` when the file changes, never a wrong answer.
 *
 * @example
 * importHead('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n'); // 'package main\n\nimport "fmt"'
 */
export function importHead(text: string): string {
  const s = new Scanner(text);
  s.skip();
  if (!s.keyword("package")) return text;
  s.skip();
  if (s.word() === "") return text;
  let end = s.at;
  for (;;) {
    s.skip(true);
    if (!s.keyword("import")) return text.slice(0, end);
    s.skip();
    const ok = s.peek() === "(" ? s.block() : s.spec();
    if (!ok) return text;
    end = s.at;
  }
}

/** A cursor over Go source that steps over whitespace, comments, identifiers and strings. */
class Scanner {
  at = 0;
  constructor(private readonly text: string) {}

  peek(): string {
    return this.text[this.at] ?? "";
  }

  /** Steps over whitespace and comments (and `;` between declarations, with `semicolons`). */
  skip(semicolons = false): void {
    for (;;) {
      const c = this.peek();
      if (SPACE.test(c) || (semicolons && c === ";")) this.at++;
      else if (this.text.startsWith("//", this.at)) {
        const nl = this.text.indexOf("\n", this.at);
        this.at = nl < 0 ? this.text.length : nl + 1;
      } else if (this.text.startsWith("/*", this.at)) {
        const close = this.text.indexOf("*/", this.at + 2);
        this.at = close < 0 ? this.text.length : close + 2;
      } else return;
    }
  }

  /** Consumes `word` when it is the next whole identifier. */
  keyword(word: string): boolean {
    if (!this.text.startsWith(word, this.at) || WORD.test(this.text[this.at + word.length] ?? "")) return false;
    this.at += word.length;
    return true;
  }

  /** Consumes an identifier and returns it ("" when none is next). */
  word(): string {
    const start = this.at;
    while (WORD.test(this.peek())) this.at++;
    return this.text.slice(start, this.at);
  }

  /** Consumes a string literal, interpreted or raw; false when none is next or it never ends. */
  string(): boolean {
    const quote = this.peek();
    if (quote === "`") {
      const close = this.text.indexOf("`", this.at + 1);
      if (close < 0) return false;
      this.at = close + 1;
      return true;
    }
    if (quote !== '"') return false;
    for (let i = this.at + 1; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === "\\") i++;
      else if (c === "\n") return false;
      else if (c === '"') {
        this.at = i + 1;
        return true;
      }
    }
    return false;
  }

  /** One import spec: an optional name (`.`, `_` or an identifier), then the path. */
  spec(): boolean {
    if (this.peek() === ".") this.at++;
    else this.word();
    this.skip();
    return this.string();
  }

  /** `( spec; spec ... )`. */
  block(): boolean {
    this.at++;
    for (;;) {
      this.skip(true);
      if (this.peek() === ")") {
        this.at++;
        return true;
      }
      if (this.peek() === "" || !this.spec()) return false;
    }
  }
}
