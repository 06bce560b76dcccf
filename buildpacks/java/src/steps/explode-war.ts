/**
 * Step: the app dir becomes the exploded WAR, as Paketo's Apache Tomcat buildpack runs a WAR;
 * Tomcat serves that directory as the ROOT context's docBase (steps/add-tomcat.ts). Served from
 * the WAR file itself, Tomcat reads every class and resource through a jar nested in the WAR
 * (a read-only image cannot be unpacked into at start), and a Spring app of ~100 jars
 * (spring-framework-petclinic) had not answered after 17 minutes. So it is unpacked here, once.
 *
 * The extraction is the framework's: an entry that would land outside the app dir (a `..`
 * component, an absolute path, a symlink out) is refused in one line naming the WAR and the
 * entry, and nothing of the WAR is left half-unpacked. Every file and directory then gets one
 * fixed time, the one the lifecycle gives every exported file, so the app dir is the same
 * whenever the WAR was built and the image's digest follows the WAR's content alone.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lutimes, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { CnbError, isCnbError } from "@cnbkit/framework";
import { extract } from "@cnbkit/framework/dependencies";
import { readWarFacts, type WarFacts } from "../servlet-api.js";
import type { StepContext } from "./step-context.js";

/** The lifecycle's fixed file time, which every exported file has at launch. */
export const EXPORT_MTIME = new Date("1980-01-01T00:00:01Z");

/** The staging dir, inside the app dir: its parent (/) is not the CNB user's to write under the real lifecycle. */
const STAGING = ".cnbkit-war";

/** The exploded WAR. */
export interface ExplodedWar {
  /** What the WAR says of its servlet API (which Tomcat serves it), read before it is unpacked. */
  facts: WarFacts;
  /** The WAR's sha256: what the app dir now is made of (the app scan is keyed on it). */
  sha256: string;
  /** How many files it holds. */
  files: number;
}

/** Replaces the app dir with the contents of the WAR at `war` (app-relative). */
export async function explodeWar(ctx: StepContext<"app" | "log">, war: string): Promise<ExplodedWar> {
  const appDir = ctx.app.path;
  const file = join(appDir, war);
  const staging = join(appDir, STAGING);
  await rm(staging, { recursive: true, force: true });
  try {
    await extract(file, staging, { format: "zip" });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    // The framework names the archive by its absolute path; the user knows it by the app's.
    if (isCnbError(err)) throw new CnbError(err.message.replace(file, war), { hint: UNSAFE_HINT, cause: err });
    throw err;
  }
  // Read once the extraction has vouched for every entry name.
  const facts = await readWarFacts(file);
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  for (const name of await readdir(appDir)) {
    if (name !== STAGING) await rm(join(appDir, name), { recursive: true, force: true });
  }
  for (const name of await readdir(staging)) await rename(join(staging, name), join(appDir, name));
  await rm(staging, { recursive: true, force: true });
  const files = await fixTimes(appDir);
  ctx.log.detail(`Exploded ${war} into the app directory (${files} files), Tomcat's docBase`);
  return { facts, sha256: hash.digest("hex"), files };
}

const UNSAFE_HINT = "The WAR is unsafe to unpack; rebuild it so that every entry stays inside it.";

/** Sets every entry under `dir` (children first, then `dir`) to {@link EXPORT_MTIME}; returns the file count. */
async function fixTimes(dir: string): Promise<number> {
  let files = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) files += await fixTimes(path);
    else {
      files++;
      await lutimes(path, EXPORT_MTIME, EXPORT_MTIME);
    }
  }
  await lutimes(dir, EXPORT_MTIME, EXPORT_MTIME);
  return files;
}
