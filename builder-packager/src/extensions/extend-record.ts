/**
 * What `cnbkit base extend` records in the image: each step in the {@link EXTENDED_LABEL}
 * label (oldest first), and the one-line description its history entry carries.
 */

/** The label listing what `base extend` added to an image, oldest step first. */
export const EXTENDED_LABEL = "io.cnbkit.base.extended";

/** One step recorded in {@link EXTENDED_LABEL}. */
export interface ExtendStep {
  apt?: string[];
  caCerts?: { file: string; subject: string; sha256: string }[];
  env?: string[];
  copies?: { dest: string }[];
  labels?: string[];
}

export function parseSteps(label: string | undefined): ExtendStep[] {
  if (!label) return [];
  try {
    const parsed = JSON.parse(label);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

export function describeStep(step: ExtendStep): string {
  const parts = [];
  if (step.apt) parts.push(`--apt ${step.apt.join(",")}`);
  for (const c of step.caCerts ?? []) parts.push(`--ca-cert ${c.file}`);
  for (const c of step.copies ?? []) parts.push(`--copy …:${c.dest}`);
  for (const e of step.env ?? []) parts.push(`--env ${e}=…`);
  for (const l of step.labels ?? []) parts.push(`--label ${l}=…`);
  return parts.join(" ");
}
