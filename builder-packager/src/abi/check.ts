/**
 * Whether a run image provides what an app image needs: every soname its layers load, and for
 * each library the newest symbol version of each family they need. A need the old run image
 * did not meet either is not this rebase's doing (an optional plugin linking a library the
 * image never had): it is reported, not refused.
 */
import type { AbiNeeds, AbiProvides } from "./records.js";
import { compareVersions } from "./symbol-version.js";

/** One thing the run image lacks, with the file that needs it. */
export interface AbiGap {
  /** `GLIBC_2.38 (libc.so.6)` or `soname libpq.so.5`. */
  what: string;
  file: string;
  /** What the run image has instead (`GLIBC_2.36`), when it has the library. */
  has?: string;
  /** True when the old run image lacked it too (not refused). */
  alreadyMissing?: boolean;
}

/** The gaps of `provides` against `needs`, refused ones first, in name order. */
export function abiGaps(needs: AbiNeeds, provides: AbiProvides, old?: AbiProvides): AbiGap[] {
  const gaps: AbiGap[] = [];
  const lacks = (p: AbiProvides | undefined, lib: string, family?: string, version?: string) => {
    if (!p) return false;
    const defs = p.libraries[lib];
    if (!defs) return true;
    if (!family || !version) return false;
    const has = defs[family];
    return !has || compareVersions(has, version) < 0;
  };
  for (const [soname, file] of Object.entries(needs.sonames)) {
    if (!lacks(provides, soname)) continue;
    gaps.push({ what: `soname ${soname}`, file, ...(lacks(old, soname) ? { alreadyMissing: true } : {}) });
  }
  for (const [lib, families] of Object.entries(needs.versions)) {
    if (!provides.libraries[lib]) continue; // reported as a missing soname above, when loaded
    for (const [family, need] of Object.entries(families)) {
      if (!lacks(provides, lib, family, need.version)) continue;
      const has = provides.libraries[lib]![family];
      gaps.push({
        what: `${family}_${need.version} (${lib})`,
        file: need.file,
        ...(has ? { has: `${family}_${has}` } : {}),
        ...(lacks(old, lib, family, need.version) ? { alreadyMissing: true } : {}),
      });
    }
  }
  return gaps.sort(
    (a, b) => Number(a.alreadyMissing ?? false) - Number(b.alreadyMissing ?? false) || (a.what < b.what ? -1 : 1),
  );
}

/** One gap in words: `needs GLIBC_2.38 (libc.so.6), the run image has GLIBC_2.36, for /layers/.../python3.13`. */
export function gapText(gap: AbiGap): string {
  return `needs ${gap.what}${gap.has ? `, the run image has ${gap.has}` : ", which the run image lacks"}, for ${gap.file}`;
}
