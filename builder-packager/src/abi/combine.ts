/**
 * From layers to records: an app image's {@link AbiNeeds} are its layers' needs less what those
 * same layers hold (a runtime's own libpython, an addon's bundled libs); a run image's
 * {@link AbiProvides} are what its layers hold. Ties go to the smaller path, so the record of
 * the same layers is the same bytes.
 */
import type { LayerAbi } from "./layer-scan.js";
import { ABI_SCHEMA, type AbiNeeds, type AbiProvides, sortedRecord } from "./records.js";
import { compareVersions } from "./symbol-version.js";

/** The needs of an app image whose own layers are `layers` (bottom first). */
export function needsOf(layers: LayerAbi[]): AbiNeeds {
  const held = new Set(layers.flatMap((l) => Object.keys(l.provides)));
  const versions: AbiNeeds["versions"] = {};
  const sonames: AbiNeeds["sonames"] = {};
  for (const layer of layers) {
    for (const [soname, file] of Object.entries(layer.sonames)) {
      if (!held.has(soname) && (!sonames[soname] || file < sonames[soname]!)) sonames[soname] = file;
    }
    for (const [lib, families] of Object.entries(layer.versions)) {
      if (held.has(lib)) continue;
      const into = versions[lib] ?? {};
      versions[lib] = into;
      for (const [family, need] of Object.entries(families)) {
        const had = into[family];
        const order = had ? compareVersions(need.version, had.version) : 1;
        if (order > 0 || (order === 0 && need.file < had!.file)) into[family] = need;
      }
    }
  }
  return sortedRecord({ schema: ABI_SCHEMA, versions, sonames });
}

/** What a run image made of `layers` provides. */
export function providesOf(layers: LayerAbi[]): AbiProvides {
  const libraries: AbiProvides["libraries"] = {};
  for (const layer of layers) {
    for (const [soname, families] of Object.entries(layer.provides)) {
      const into = libraries[soname] ?? {};
      libraries[soname] = into;
      for (const [family, version] of Object.entries(families)) {
        if (!into[family] || compareVersions(version, into[family]!) > 0) into[family] = version;
      }
    }
  }
  const glibc = libraries["libc.so.6"]?.GLIBC;
  return sortedRecord({ schema: ABI_SCHEMA, ...(glibc ? { glibc } : {}), libraries });
}
