/**
 * The fleet inventory: what `cnbkit fleet scan` learned of every image it was pointed at, as
 * one versioned JSON file (docs/fleet.md documents each field). Queries, the HTML report and
 * `fleet rebase` read only this file, so a scan once a night serves every question of the day.
 *
 * Package lists are kept once per SBOM, not once per image: a fleet's images share their run
 * image's SBOM (hundreds of Debian packages) and often their app SBOMs, so records point at
 * SBOM ids and the inventory of 10,000 images stays a few MB.
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import type { AbiNeeds } from "../abi/index.js";
import type { Digest } from "../oci/index.js";
import type { ProofState } from "../supply-chain/index.js";
import type { Ecosystem } from "./versions/index.js";

/** The schema this cnbkit writes and reads; another one is refused in one line. */
export const INVENTORY_SCHEMA = "cnbkit.fleet.inventory/v1";

/** What a signature or an attestation of an image was found to be (see supply-chain). */
export type { ProofState };

/** Where an image's package list came from. */
export type SbomSource =
  /** The CycloneDX attestations (`.att`) of the image: signed with it. */
  | "attestation"
  /** The SBOM layers of the image (the buildpacks' and the run image's). */
  | "layer"
  /** Neither: the image carries no SBOM. */
  | "none";

/** One package of an SBOM. */
export interface InventoryPackage {
  /** The package's name in its ecosystem: `express`, `requests`, `org.springframework:spring-core`, `libssl3t64`. */
  name: string;
  version: string;
  ecosystem: Ecosystem;
  /** The package URL as the SBOM gives it, when it does. */
  purl?: string;
}

/** The packages of one SBOM document set (one SBOM layer, or one image's attestations). */
export interface InventorySbom {
  /** Where it was read: `layer:<diffID>` or `attestation:<image digest>`. */
  id: string;
  /** What it describes: `run-image` (the base's OS packages) or `app` (what the buildpacks installed). */
  part: "run-image" | "app";
  packages: InventoryPackage[];
}

/** One container of one pod. */
export interface RunningContainer {
  namespace: string;
  pod: string;
  container: string;
}

/** A container whose image the kubelet names by no repository digest (an image loaded onto the node, not pulled). */
export interface UnresolvedContainer extends RunningContainer {
  /** The image as the pod's spec names it. */
  image: string;
  why: string;
}

/** A CNB app image: one manifest (one platform) of one repository, with every tag naming it. */
export interface ImageRecord {
  /** `registry/repository` or `oci:/abs/layout`. */
  repository: string;
  /** The tags that named this manifest when scanned (sorted); empty for an image named by digest. */
  tags: string[];
  /** The manifest's digest. */
  digest: Digest;
  /** The image index the tags name, when this manifest is one platform of it. */
  index?: Digest;
  /** `os/architecture[/variant]`. */
  platform: string;
  /** The config blob's digest (a re-scan reuses what it read of it). */
  config: Digest;
  /** When it was built: the provenance's finish time, else the config's `created` unless that is the reproducible 1980 one. */
  built?: { at: string; from: "provenance" | "config" };
  /** The builder, from the provenance (an unsigned image does not record it). */
  builder?: { ref: string; digest?: string };
  buildpacks: { id: string; version: string }[];
  processes: { type: string; command: string[]; default: boolean }[];
  /** The run image as the lifecycle recorded it. */
  runImage: {
    /** The name it was given (`registry/repo:tag`), which a rebase resolves again. */
    image?: string;
    /** The digest it had (`...@sha256:…`). */
    reference?: string;
    /** Its top layer's diffID: what a rebase replaces. */
    topLayer?: string;
  };
  /** Whether `cnbkit rebase` may rebase it, and why not. */
  rebasable: { ok: true } | { ok: false; why: string };
  /**
   * What its own layers need from a run image (its `io.cnbkit.abi.needs` label: sonames and
   * the newest symbol version per library); absent for an image built before cnbkit recorded it.
   */
  abi?: AbiNeeds;
  /** The SBOMs (ids into {@link FleetInventory.sboms}) and where the package list came from. */
  sbom: { source: SbomSource; ids: string[] };
  signature: ProofState;
  provenance: ProofState;
  /** The digests of the `.sig` and `.att` manifests read, so a re-scan re-reads them only when they change. */
  proofs?: { sig?: Digest; att?: Digest };
  /** The cluster's containers that run this image when scanned with `--kubernetes` (absent: none, or not asked). */
  running?: RunningContainer[];
}

/** Something the scan met that is not a CNB app image (counted and named, never an error). */
export interface OtherImage {
  repository: string;
  tags: string[];
  digest: Digest;
  /** Why it is not in {@link FleetInventory.images}. */
  why: string;
  /** As {@link ImageRecord.running}. */
  running?: RunningContainer[];
}

/** An image the scan could not read, with the one-line reason. */
export interface ScanError {
  ref: string;
  error: string;
}

/** The whole inventory file. */
export interface FleetInventory {
  schema: typeof INVENTORY_SCHEMA;
  /** When the scan finished (ISO 8601). */
  scannedAt: string;
  /** What the scan was pointed at, as given. */
  sources: string[];
  /** The sha256 of the public key signatures were checked against, when one was given. */
  key?: string;
  /** What the cluster ran, when scanned with `--kubernetes`. */
  cluster?: {
    /** The API server asked. */
    server: string;
    pods: number;
    /** Distinct image digests its containers run. */
    images: number;
    /** Containers whose image the kubelet names by no repository digest (not scanned). */
    unresolved: UnresolvedContainer[];
  };
  images: ImageRecord[];
  others: OtherImage[];
  errors: ScanError[];
  /** Package lists by SBOM id. */
  sboms: Record<string, InventorySbom>;
}

/**
 * Reads an inventory file; one line for a missing file, bad JSON or another schema.
 *
 * @example
 * const inv = await readInventory("fleet.json");
 */
export async function readInventory(path: string): Promise<FleetInventory> {
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new CnbError(`cannot read inventory ${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`, {
      hint: "make one with `cnbkit fleet scan <registry> --output fleet.json`",
    });
  });
  let data: { schema?: unknown };
  try {
    data = JSON.parse(text) as { schema?: unknown };
  } catch {
    throw new CnbError(`inventory ${path} is not JSON`);
  }
  if (data.schema !== INVENTORY_SCHEMA) {
    throw new CnbError(
      `inventory ${path} has schema ${JSON.stringify(data.schema ?? null)}, and this cnbkit reads ${INVENTORY_SCHEMA}`,
      { hint: "scan again with this cnbkit: `cnbkit fleet scan ... --output` rewrites it" },
    );
  }
  return data as FleetInventory;
}

/** Writes an inventory whole (temp file, then rename): a crash never leaves half a file. */
export async function writeInventory(path: string, inventory: FleetInventory): Promise<void> {
  // as writeAtomic does (a temporary file beside it, then a rename), from the chunks
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await writeFile(tmp, inventoryChunks(inventory));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The inventory's JSON (what `JSON.stringify(inventory)` gives, and a newline) in chunks of
 * about 1 MB: at 10,000 images the whole string and its UTF-8 copy were ~100 MB on top of the
 * records, the scan's peak RSS; in chunks the file is the same bytes.
 */
export function* inventoryChunks(inventory: FleetInventory, chunkChars = 1 << 20): Generator<string> {
  let chunk = "{";
  let first = true;
  for (const [key, value] of Object.entries(inventory)) {
    if (value === undefined) continue;
    chunk += `${first ? "" : ","}${JSON.stringify(key)}:`;
    first = false;
    if (!Array.isArray(value)) {
      chunk += JSON.stringify(value);
      continue;
    }
    chunk += "[";
    for (const [i, item] of value.entries()) {
      chunk += `${i ? "," : ""}${JSON.stringify(item) ?? "null"}`;
      if (chunk.length >= chunkChars) {
        yield chunk;
        chunk = "";
      }
    }
    chunk += "]";
  }
  yield `${chunk}}\n`;
}

/** `repository:tag` (or `repository@digest`) of a record, as users name images. */
export function recordRef(r: { repository: string; tags: string[]; digest: Digest }): string {
  return r.tags.length ? `${r.repository}:${r.tags[0]}` : `${r.repository}@${r.digest}`;
}

/** The order records are kept in: by repository, then digest (the same fleet gives the same file). */
export function byRepositoryAndDigest(
  a: { repository: string; digest: string },
  b: { repository: string; digest: string },
): number {
  if (a.repository !== b.repository) return a.repository < b.repository ? -1 : 1;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}
