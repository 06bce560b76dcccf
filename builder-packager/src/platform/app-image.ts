/**
 * Reads what the lifecycle records on an app image: the `io.buildpacks.lifecycle.metadata`,
 * `io.buildpacks.build.metadata` and `io.buildpacks.project.metadata` labels, so rebase,
 * inspect and sbom share one typed reader and one error for "not an app image".
 */
import { CnbError } from "@cnbkit/framework";
import type { ImageConfig } from "../oci/index.js";

/** The parts of `io.buildpacks.lifecycle.metadata` cnbkit uses (the label has more). */
export interface LifecycleMetadata {
  app?: { sha: string }[];
  buildpacks?: { key: string; version: string; layers?: Record<string, { sha: string }> }[];
  config?: { sha: string };
  launcher?: { sha: string };
  /** The layer of /cnb/process/<type> links (the label's key is kebab-case). */
  "process-types"?: { sha: string };
  sbom?: { sha: string };
  runImage?: { topLayer: string; reference: string; image?: string; mirrors?: string[] };
  stack?: { runImage?: { image?: string; mirrors?: string[] } };
  [key: string]: unknown;
}

/** The parts of `io.buildpacks.build.metadata` cnbkit uses. */
export interface BuildMetadata {
  processes?: { type: string; command: string[] | string; args?: string[]; direct?: boolean; buildpackID?: string }[];
  buildpacks?: { id: string; version: string; homepage?: string }[];
  launcher?: { version?: string };
  [key: string]: unknown;
}

/** Label names the lifecycle writes. */
export const LABELS = {
  lifecycle: "io.buildpacks.lifecycle.metadata",
  build: "io.buildpacks.build.metadata",
  project: "io.buildpacks.project.metadata",
  rebasable: "io.buildpacks.rebasable",
} as const;

/**
 * One JSON label of an image config, parsed; undefined when absent, a one-line error naming
 * `where` when it is not JSON. For a reader that parses the labels one at a time (a fleet
 * scan parses a build metadata text once for all the configs that repeat it).
 */
export function parseLabel<T>(labels: Record<string, string>, name: string, where: string): T | undefined {
  const raw = labels[name];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new CnbError(`${where}: label ${name} is not valid JSON`);
  }
}

/** The lifecycle labels of an app image; a one-line error when the image is not one. */
export function appMetadata(
  config: ImageConfig,
  where: string,
): { lifecycle: LifecycleMetadata; build: BuildMetadata; labels: Record<string, string> } {
  const labels = config.config?.Labels ?? {};
  const lifecycle = parseLabel<LifecycleMetadata>(labels, LABELS.lifecycle, where);
  if (!lifecycle) {
    throw new CnbError(`${where} is not an app image built by a CNB lifecycle (no ${LABELS.lifecycle} label)`);
  }
  return { lifecycle, build: parseLabel<BuildMetadata>(labels, LABELS.build, where) ?? {}, labels };
}
