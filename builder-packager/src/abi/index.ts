/**
 * The abi stage: what an image's ELF files need from the run image under them (sonames,
 * GLIBC_/GLIBCXX_ symbol versions) and what a run image provides, read from the dynamic
 * sections of the files in their layers with no execution, recorded as labels, and compared
 * before a rebase moves an app onto another run image.
 */
export { type AbiGap, abiGaps, gapText } from "./check.js";
export { needsOf, providesOf } from "./combine.js";
export { type ElfDynamic, isElf, readElfDynamic } from "./elf-dynamic.js";
export {
  type AbiReadOptions,
  type AbiSource,
  appImageNeeds,
  type BlobReader,
  layerAbi,
  layersNeeds,
  layersProvides,
  runImageProvides,
} from "./image-abi.js";
export { addElfFile, elfMachine, emptyLayerAbi, type LayerAbi, type ScanScope, scanLayer } from "./layer-scan.js";
export {
  ABI_NEEDS_LABEL,
  ABI_PROVIDES_LABEL,
  ABI_SCHEMA,
  type AbiNeeds,
  type AbiProvides,
  abiLabel,
  parseAbiLabel,
} from "./records.js";
export { compareVersions, splitVersionName } from "./symbol-version.js";
