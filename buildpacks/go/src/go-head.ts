/**
 * What a Go file's head declares: its build constraints, its package clause and its imports,
 * read as the go command reads a file to learn the package graph, before any code. The build
 * needs it twice from one read of each file: which dirs are `package main` (the binaries to
 * build), and the import heads whose digest keys what `go list -deps` said of the graph (an
 * edit below the imports, a function body or a string, leaves it as it was). Pure; it scans
 * Go's tokens only as far as it needs (comments, strings, the import forms).
 */

/** What {@link goHead} found at the top of a .go file. */
export interface GoHead {
  /** The package clause's name, or undefined when the file has none. */
  package: string | undefined;
  /**
   * The build constraints above the package clause, as written after `//go:build` or the
   * older `// +build` (`linux && amd64`, `ignore`).
   */
  constraints: string[];
  /** The import paths, in order, as written (cgo's `C` among them). */
  imports: string[];
  /**
   * The head's text: from the start through the end of the last import declaration (or the
   * package clause, with no imports). When the file does not scan as the go command expects
   * (no package clause, an unterminated import block or string), the whole text: a head is
   * only compared, so a longer one costs a `go list` when the file changes, never a wrong
   * answer.
   */
  text: string;
}

/** Go's whitespace. */
const SPACE = /[ \t\r\n]/;

/** A letter, digit or underscore: a char that continues an identifier. */
const WORD = /[\p{L}\p{Nd}_]/u;

/** A build constraint line: `//go:build expr` (or `// +build expr`); spaces after `//` allowed, as before. */
const CONSTRAINT = /^\/\/\s*(?:go:build|\+build)\s+(.*?)\s*$/;

/**
 * The head of the Go source `text`.
 *
 * @example
 * goHead('//go:build linux\n\npackage main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n');
 * // { package: "main", constraints: ["linux"], imports: ["fmt"], text: '//go:build linux\n\npackage main\n\nimport "fmt"' }
 */
export function goHead(text: string): GoHead {
  const s = new Scanner(text);
  const constraints: string[] = [];
  const whole = (name?: string): GoHead => ({ package: name, constraints, imports: s.imports, text });
  s.skip(false, constraints);
  if (!s.keyword("package")) return whole();
  s.skip();
  const name = s.word();
  if (name === "") return whole();
  let end = s.at;
  for (;;) {
    s.skip(true);
    if (!s.keyword("import")) return { package: name, constraints, imports: s.imports, text: text.slice(0, end) };
    s.skip();
    const ok = s.peek() === "(" ? s.block() : s.spec();
    if (!ok) return whole(name);
    end = s.at;
  }
}

/**
 * The package a build of the file's dir compiles it into: its package clause, unless a build
 * constraint leaves it out of every build (`//go:build ignore`, the generators many
 * repositories keep beside their code); undefined for either.
 *
 * @example
 * buildPackage(goHead("// Command api serves the API.\npackage main\n")); // "main"
 * buildPackage(goHead("//go:build ignore\n\npackage main\n"));            // undefined
 */
export function buildPackage(head: GoHead): string | undefined {
  return head.constraints.includes("ignore") ? undefined : head.package;
}

/** A cursor over Go source that steps over whitespace, comments, identifiers and strings. */
class Scanner {
  at = 0;
  /** The import paths {@link spec} consumed. */
  readonly imports: string[] = [];
  constructor(private readonly text: string) {}

  peek(): string {
    return this.text[this.at] ?? "";
  }

  /**
   * Steps over whitespace and comments (and `;` between declarations, with `semicolons`),
   * adding the build constraints of line comments to `constraints` when given.
   */
  skip(semicolons = false, constraints?: string[]): void {
    for (;;) {
      const c = this.peek();
      if (SPACE.test(c) || (semicolons && c === ";")) this.at++;
      else if (this.text.startsWith("//", this.at)) {
        const nl = this.text.indexOf("\n", this.at);
        const end = nl < 0 ? this.text.length : nl;
        const constraint = constraints && CONSTRAINT.exec(this.text.slice(this.at, end))?.[1];
        if (constraint) constraints.push(constraint);
        this.at = nl < 0 ? end : nl + 1;
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

  /** Consumes a string literal, interpreted or raw, and returns its body; undefined when none is next or it never ends. */
  string(): string | undefined {
    const quote = this.peek();
    const start = this.at + 1;
    if (quote === "`") {
      const close = this.text.indexOf("`", start);
      if (close < 0) return undefined;
      this.at = close + 1;
      return this.text.slice(start, close);
    }
    if (quote !== '"') return undefined;
    for (let i = start; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === "\\") i++;
      else if (c === "\n") return undefined;
      else if (c === '"') {
        this.at = i + 1;
        return this.text.slice(start, i);
      }
    }
    return undefined;
  }

  /** One import spec: an optional name (`.`, `_` or an identifier), then the path. */
  spec(): boolean {
    if (this.peek() === ".") this.at++;
    else this.word();
    this.skip();
    const path = this.string();
    if (path === undefined) return false;
    this.imports.push(path);
    return true;
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
