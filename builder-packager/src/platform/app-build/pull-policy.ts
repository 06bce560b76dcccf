/**
 * pack's `--pull-policy` for registry builders: which manifest digest a tag meant when it was
 * last pulled is remembered under `<cache>/pulled/`, so `if-not-present` and `never` can use
 * the unpacked builder without asking the registry, and `always` asks it every build.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { writeAtomic } from "@cnbkit/framework/fs";
import type { Platform } from "../../oci/index.js";

/** When a registry image is fetched: every build, only when it is not here, or never. */
export type PullPolicy = "always" | "if-not-present" | "never";

const POLICIES: PullPolicy[] = ["always", "if-not-present", "never"];

/** `--pull-policy <text>` as a {@link PullPolicy}; anything else is one line listing the choices. */
export function parsePullPolicy(text: string): PullPolicy {
  if ((POLICIES as string[]).includes(text)) return text as PullPolicy;
  throw new CnbError(`--pull-policy "${text}" is not one of ${POLICIES.join(", ")}`);
}

function recordFile(cache: string, ref: string, platform: Platform | undefined): string {
  const key = `${ref}\0${platform ? `${platform.os}/${platform.architecture}` : "host"}`;
  return join(cache, "pulled", `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`);
}

/**
 * The manifest digest `ref` (for `platform`) had when it was last pulled, if it was.
 *
 * @example
 * const digest = await pulledDigest(cache, "registry.example.com/builder:1", undefined);
 */
export async function pulledDigest(cache: string, ref: string, platform?: Platform): Promise<string | undefined> {
  const text = await readFile(recordFile(cache, ref, platform), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const digest = (JSON.parse(text) as { digest?: unknown }).digest;
    return typeof digest === "string" && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined;
  } catch {
    return undefined; // a torn record is as good as none: pull again
  }
}

/** Remembers that `ref` (for `platform`) was pulled as manifest `digest`. */
export async function recordPull(cache: string, ref: string, platform: Platform | undefined, digest: string) {
  await mkdir(join(cache, "pulled"), { recursive: true });
  await writeAtomic(recordFile(cache, ref, platform), JSON.stringify({ ref, digest }));
}
