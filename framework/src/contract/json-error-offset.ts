/**
 * Where JSON text first goes wrong, for `ctx.app.readJson` errors that name a line and
 * column: V8's messages do not always carry a position and never a line.
 */

/** The offset of the first character at which `text` stops being valid JSON; undefined when it is valid. */
export function jsonErrorOffset(text: string): number | undefined {
  const scan = new JsonScan(text);
  try {
    scan.value();
    scan.ws();
    if (scan.i < text.length) scan.fail();
    return undefined;
  } catch (e) {
    if (typeof e === "number") return Math.min(e, text.length);
    throw e;
  }
}

/** A small recursive-descent scanner that throws the offset (a number) where it fails. */
class JsonScan {
  i = 0;
  constructor(private readonly s: string) {}

  fail(): never {
    throw this.i;
  }

  ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i]!)) this.i++;
  }

  value(): void {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") this.list("}", () => this.member());
    else if (c === "[") this.list("]", () => this.value());
    else if (c === '"') this.str();
    else this.scalar();
  }

  private scalar(): void {
    const num = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    num.lastIndex = this.i;
    if (num.test(this.s)) {
      this.i = num.lastIndex;
      return;
    }
    for (const lit of ["true", "false", "null"]) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return;
      }
    }
    this.fail();
  }

  private member(): void {
    this.ws();
    if (this.s[this.i] !== '"') this.fail();
    this.str();
    this.ws();
    if (this.s[this.i] !== ":") this.fail();
    this.i++;
    this.value();
  }

  private str(): void {
    this.i++;
    while (this.i < this.s.length) {
      const ch = this.s[this.i]!;
      if (ch === '"') {
        this.i++;
        return;
      }
      if (ch < " ") this.fail();
      this.i += ch === "\\" ? 2 : 1;
    }
    this.fail();
  }

  private list(close: string, item: () => void): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === close) {
      this.i++;
      return;
    }
    for (;;) {
      item();
      this.ws();
      if (this.s[this.i] === ",") this.i++;
      else if (this.s[this.i] === close) {
        this.i++;
        return;
      } else this.fail();
    }
  }
}
