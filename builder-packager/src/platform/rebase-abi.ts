/**
 * The ABI check of a rebase: the new run image must provide what the app image's own layers
 * need (every soname they load, the newest GLIBC_/GLIBCXX_/... version of each library), or
 * the rebase is refused in one line naming the image, what is missing and the file that
 * needs it. The lifecycle checks only os/arch and a label; a binary needing GLIBC_2.38 put on
 * a glibc 2.36 run image fails only when it starts, in production.
 *
 * An image built before cnbkit recorded its needs is checked by reading its app layers (each
 * layer once per machine: the facts are cached by diffID). Reading is slower than a label but
 * honest, and allowing such images unchecked would let the very rebase this check exists for
 * through.
 */
import { CnbError } from "@cnbkit/framework";
import {
  ABI_PROVIDES_LABEL,
  type AbiGap,
  type AbiProvides,
  type AbiSource,
  abiGaps,
  appImageNeeds,
  gapText,
  layersProvides,
  parseAbiLabel,
  runImageProvides,
} from "../abi/index.js";
import type { ImageSource, ResolvedImage } from "../oci/index.js";

/** What the check found: passed (with any gaps the old run image had too), or not asked (forced). */
export type RebaseAbiCheck =
  | {
      kind: "checked";
      /** Where the app's needs came from: its label, or its layers (an image built before the record). */
      needsFrom: AbiSource;
      providesFrom: AbiSource;
      /** The glibc of the new run image, when it has one. */
      glibc?: string;
      /** Gaps the old run image had as well: reported, not refused. */
      tolerated: AbiGap[];
    }
  | { kind: "forced"; gaps: AbiGap[] }
  /** A layer could not be read as a tar (a zstd layer, a synthetic test image): the rebase goes on, and says so. */
  | { kind: "unchecked"; why: string };

/** What the check reads: the app image (its layers above `topIndex`) and the new run image. */
export interface RebaseAbiInputs {
  image: string;
  appSrc: ImageSource;
  app: ResolvedImage;
  topIndex: number;
  runRef: string;
  runSrc: ImageSource;
  run: ResolvedImage;
}

/**
 * Checks that `inputs.run` provides what the app layers need; throws the one-line refusal
 * unless `force` (then returns the gaps it let through). `provides` shares what each run
 * image provides between the rebases of a fleet, by run-image manifest digest.
 */
export async function checkRebaseAbi(
  inputs: RebaseAbiInputs,
  force: boolean,
  provides?: Map<string, Promise<{ provides: AbiProvides; from: AbiSource }>>,
): Promise<RebaseAbiCheck> {
  const key = inputs.run.manifest.digest;
  let pending = provides?.get(key);
  if (!pending) {
    pending = runImageProvides(inputs.runSrc, inputs.run);
    provides?.set(key, pending);
  }
  let read: [Awaited<ReturnType<typeof appImageNeeds>>, Awaited<typeof pending>, AbiProvides];
  try {
    read = await Promise.all([
      appImageNeeds(inputs.appSrc, inputs.app, inputs.topIndex + 1),
      pending,
      oldProvides(inputs, provides),
    ]);
  } catch (err) {
    return { kind: "unchecked", why: err instanceof Error ? err.message : String(err) };
  }
  const [{ needs, from: needsFrom }, { provides: now, from: providesFrom }, old] = read;
  const gaps = abiGaps(needs, now, old);
  const refused = gaps.filter((g) => !g.alreadyMissing);
  if (force) return { kind: "forced", gaps: refused };
  if (refused.length > 0) throw abiRefusal(inputs.image, inputs.runRef, refused);
  return {
    kind: "checked",
    needsFrom,
    providesFrom,
    ...(now.glibc ? { glibc: now.glibc } : {}),
    tolerated: gaps.filter((g) => g.alreadyMissing),
  };
}

/**
 * What the run image the app sits on now provides: the label it carries from that run image
 * (base labels move with it), else read from the app image's own bottom layers, which are that
 * run image's (so the old run image need not exist any more). A need it did not meet either
 * (a JRE's libjsound.so linking ALSA, which no run image here has) is not this rebase's doing.
 */
async function oldProvides(
  inputs: RebaseAbiInputs,
  memo?: Map<string, Promise<{ provides: AbiProvides; from: AbiSource }>>,
): Promise<AbiProvides> {
  const labelled = parseAbiLabel<AbiProvides>(inputs.app.config.config?.Labels?.[ABI_PROVIDES_LABEL]);
  if (labelled) return labelled;
  const diffIds = inputs.app.config.rootfs.diff_ids.slice(0, inputs.topIndex + 1);
  const key = `below ${diffIds.at(-1)}`;
  let pending = memo?.get(key);
  if (!pending) {
    const layers = inputs.app.manifest.manifest.layers.slice(0, inputs.topIndex + 1);
    pending = layersProvides(inputs.appSrc, layers, diffIds, inputs.app.config.architecture).then((provides) => ({
      provides,
      from: "layers" as const,
    }));
    memo?.set(key, pending);
  }
  return (await pending).provides;
}

/** A rebase refused by the ABI check (a fleet rebase reports it apart from failures). */
export class AbiRefusal extends CnbError {}

/** The one line of a refused rebase: the image, the first gap and how many more. */
export function abiRefusal(image: string, runRef: string, gaps: AbiGap[]): AbiRefusal {
  const more = gaps.length > 1 ? ` (and ${gaps.length - 1} more)` : "";
  return new AbiRefusal(`image ${image} cannot go onto run image ${runRef}: it ${gapText(gaps[0]!)}${more}`, {
    hint: "use a run image that provides it, rebuild the app on it, or pass --force to rebase anyway",
  });
}

/** The check in one line for the rebase's output. */
export function abiCheckText(check: RebaseAbiCheck): string {
  if (check.kind === "unchecked") return `ABI check: not done, a layer could not be read (${check.why})`;
  if (check.kind === "forced") {
    return check.gaps.length
      ? `ABI check: forced past ${check.gaps.length} gap(s): the app ${gapText(check.gaps[0]!)}`
      : "ABI check: not enforced (--force)";
  }
  const from =
    check.needsFrom === "label" ? "its label" : "its layers (no needs label: built before cnbkit recorded them)";
  const tolerated = check.tolerated.length
    ? `; ${check.tolerated.length} need(s) the old run image did not meet either, e.g. ${check.tolerated[0]!.what} for ${check.tolerated[0]!.file}`
    : "";
  return `ABI check: the run image${check.glibc ? ` (glibc ${check.glibc})` : ""} provides what the app needs (read from ${from})${tolerated}`;
}
