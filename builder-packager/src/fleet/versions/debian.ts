/**
 * Debian's version order (deb-version(7), dpkg's `verrevcmp`): `[epoch:]upstream[-revision]`,
 * each part compared as alternating runs of non-digits and digits, where `~` sorts before
 * everything (even the end of the string), letters before other characters, and digit runs
 * compare as numbers. No well-kept npm library does this, and dpkg's algorithm is short and
 * exactly specified, so it is written out here with dpkg's own test cases beside it.
 */

/** Splits a Debian version into its epoch, upstream version and revision. */
function parts(version: string): { epoch: number; upstream: string; revision: string } {
  const colon = version.indexOf(":");
  const epoch = colon > 0 ? Number(version.slice(0, colon)) : 0;
  const rest = colon > 0 ? version.slice(colon + 1) : version;
  const dash = rest.lastIndexOf("-");
  return dash >= 0
    ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
    : { epoch, upstream: rest, revision: "" };
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isLetter = (c: string) => /[A-Za-z]/.test(c);

/** dpkg's weight of one character in a non-digit run (`undefined`: the end of the run). */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isLetter(c)) return c.charCodeAt(0);
  if (c === "~") return -1;
  return c.charCodeAt(0) + 256;
}

/** dpkg's `verrevcmp` over one part (upstream or revision). */
function compareRuns(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let diff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!diff) diff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (diff) return diff;
  }
  return 0;
}

/** True when `version` is a Debian version dpkg would accept (epoch digits, upstream starting with a digit). */
export function isDebianVersion(version: string): boolean {
  return /^(\d+:)?[0-9][A-Za-z0-9.+~-]*$/.test(version);
}

/** Compares two Debian versions: negative, zero or positive, as dpkg --compare-versions orders them. */
export function compareDebian(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  return Math.sign(compareRuns(pa.upstream, pb.upstream) || compareRuns(pa.revision, pb.revision));
}
