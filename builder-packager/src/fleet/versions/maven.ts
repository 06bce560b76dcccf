/**
 * Maven's version order, as maven-artifact's `ComparableVersion` defines it: a version splits
 * on `.`, `-` and every switch between digits and letters (the last two open a sub-list);
 * numbers compare as numbers and rank above qualifiers; the known qualifiers rank
 * alpha < beta < milestone < rc (= cr) < snapshot < release (= "", ga, final) < sp, unknown
 * ones after those in text order; trailing zeros and release qualifiers are dropped
 * (`1.0` = `1` = `1-ga`). No well-kept npm library implements it, so it lives here with
 * the cases of Maven's own ComparableVersionTest beside it.
 */

type Item = { kind: "int"; value: bigint } | { kind: "string"; value: string } | { kind: "list"; items: Item[] };

const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const ALIASES: Record<string, string> = { ga: "", final: "", release: "", cr: "rc" };

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1)
    v = ({ a: "alpha", b: "beta", m: "milestone" } as Record<string, string>)[v] ?? v;
  return { kind: "string", value: ALIASES[v] ?? v };
}

function rank(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${q}`;
}

function isNull(item: Item): boolean {
  if (item.kind === "int") return item.value === 0n;
  if (item.kind === "string") return item.value === "";
  return item.items.length === 0;
}

/** Drops trailing null items of each list, as ComparableVersion.normalize does. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i]!;
    if (isNull(item)) list.splice(i, 1);
    else if (item.kind !== "list") break;
  }
}

function parse(version: string): Item[] {
  const v = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let start = 0;
  let digit = false;
  const token = (end: number, followedByDigit: boolean): Item =>
    digit
      ? { kind: "int", value: BigInt(v.slice(start, end) || "0") }
      : stringItem(v.slice(start, end), followedByDigit);
  const sublist = () => {
    const next: Item[] = [];
    list.push({ kind: "list", items: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === ".") {
      list.push(i === start ? { kind: "int", value: 0n } : token(i, false));
      start = i + 1;
    } else if (c === "-") {
      list.push(i === start ? { kind: "int", value: 0n } : token(i, false));
      start = i + 1;
      sublist();
    } else if (c >= "0" && c <= "9") {
      if (!digit && i > start) {
        list.push(token(i, true));
        start = i;
        sublist();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.push(token(i, false));
        start = i;
        sublist();
      }
      digit = false;
    }
  }
  if (v.length > start) list.push(token(v.length, false));
  for (let i = stack.length - 1; i >= 0; i--) normalize(stack[i]!);
  return root;
}

function compareItem(a: Item | undefined, b: Item | undefined): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return -compareItem(b, undefined);
  if (a.kind === "int") {
    if (b === undefined) return a.value === 0n ? 0 : 1;
    if (b.kind === "int") return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    return 1;
  }
  if (a.kind === "string") {
    if (b === undefined) return cmp(rank(a.value), rank(""));
    if (b.kind === "string") return cmp(rank(a.value), rank(b.value));
    return -1;
  }
  if (b === undefined) return a.items.length === 0 ? 0 : compareItem(a.items[0], undefined);
  if (b.kind === "int") return -1;
  if (b.kind === "string") return 1;
  return compareLists(a.items, b.items);
}

function compareLists(a: Item[], b: Item[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const r = compareItem(a[i], b[i]);
    if (r !== 0) return r;
  }
  return 0;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Compares two Maven versions: negative, zero or positive. */
export function compareMaven(a: string, b: string): number {
  return Math.sign(compareLists(parse(a), parse(b)));
}
