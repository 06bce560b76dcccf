/**
 * What one app image is, from its manifest, config, SBOMs and cosign artifacts alone: the
 * record a fleet inventory keeps. Everything content-addressed is read once per scan (a
 * config or SBOM layer shared by a thousand images is one read), and a signature is only
 * downloaded when there is a key to check it with: without one, its tag says enough.
 */
import { CnbError } from "@cnbkit/framework";
import { ABI_NEEDS_LABEL, type AbiNeeds, parseAbiLabel } from "../abi/index.js";
import { BASE_SBOM_DIR, BASE_SBOM_LABEL } from "../base/index.js";
import { type Digest, type ImageConfig, NORMALIZED_CREATED, type ParsedManifest, parseConfig } from "../oci/index.js";
import { type BuildMetadata, LABELS, type LifecycleMetadata, notRebasable, parseLabel } from "../platform/index.js";
import {
  type ArtifactLayer,
  artifactTag,
  attestationState,
  PREDICATE_TYPE_ANNOTATION,
  PREDICATE_TYPES,
  type ProofState,
  type ProvenancePredicate,
  SBOM_PATH_ANNOTATION,
  signatureState,
  type VerifyKey,
} from "../supply-chain/index.js";
import type { ImageRecord, InventorySbom, OtherImage } from "./inventory.js";
import type { FleetRepository } from "./repository.js";
import { cycloneDxPackages, layerPackages, sortPackages } from "./sbom-packages.js";

/** What every image of one scan shares: the key, and what was read already. */
export interface ScanContext {
  key?: VerifyKey;
  /** What each config says, by digest (a promise, so concurrent readers of one blob share the read). */
  configs: Map<string, Promise<ConfigFacts>>;
  /** SBOMs by id; seeded with the previous inventory's, which are never read again. */
  sboms: Map<string, Promise<InventorySbom>>;
  /**
   * What the build metadata and ABI labels of the scan's configs say, by label text: builds of
   * one app repeat the same texts (its buildpacks, processes, libraries), so each text is parsed
   * once and the records made from it share the result rather than each holding a copy
   * (copies were most of what a large scan kept and collected). Records are never modified.
   */
  labels: Map<string, LabelFacts>;
}

/** What one text of the build metadata label or of the ABI needs label says (see {@link ScanContext.labels}). */
type LabelFacts = BuildFacts | { abi: AbiNeeds | undefined };

/** A build's buildpacks and processes (by the default process the entrypoint names). */
interface BuildFacts {
  buildpacks: ImageRecord["buildpacks"];
  processes: BuildMetadata["processes"];
  byDefault: Map<string, ImageRecord["processes"]>;
}

/** One manifest to describe: where it is, which tags name it, which index it belongs to. */
export interface ManifestAtHand {
  repo: FleetRepository;
  manifest: Extract<ParsedManifest, { kind: "manifest" }>;
  tags: string[];
  index?: Digest;
  /** The repository's tags, to find cosign's `sha256-<hex>.sig`/`.att` without a request. */
  artifactTags: Set<string>;
}

/**
 * What a scan keeps of a config: only what records are made of (a parsed config with its
 * labels is tens of KB; ten thousand of them would be the scan's memory), and for the SBOM
 * layers, their positions among the image's layers.
 */
export type ConfigFacts =
  | { why: string }
  | {
      platform: string;
      created?: string;
      buildpacks: ImageRecord["buildpacks"];
      processes: ImageRecord["processes"];
      runImage: ImageRecord["runImage"];
      rebasable: ImageRecord["rebasable"];
      abi?: AbiNeeds;
      /** The buildpacks' SBOM layer and the run image's, by diffID and index among the layers. */
      sbomLayers: { app?: { diffId: string; index: number }; run?: { diffId: string; index: number } };
    };

/** The {@link ConfigFacts} of one config. */
function configFacts(config: ImageConfig, where: string, shared: ScanContext["labels"]): ConfigFacts {
  const labels = config.config?.Labels ?? {};
  if (labels[LABELS.lifecycle] === undefined) {
    return { why: `not a CNB app image (no ${LABELS.lifecycle} label)` };
  }
  let lifecycle: LifecycleMetadata;
  let build: BuildFacts;
  try {
    lifecycle = parseLabel<LifecycleMetadata>(labels, LABELS.lifecycle, where) as LifecycleMetadata;
    build = buildFacts(labels, where, shared);
  } catch (err) {
    if (err instanceof CnbError) return { why: err.message };
    throw err;
  }
  const refusal = notRebasable(where, config);
  // why a refused image is refused (only those: the history is read for nothing otherwise)
  const extended =
    refusal !== undefined && (config.history ?? []).some((h) => h.created_by?.includes("Created by extension: "));
  const at = (diffId: string | undefined) => {
    const index = diffId ? config.rootfs.diff_ids.indexOf(diffId as Digest) : -1;
    return diffId && index >= 0 ? { diffId, index } : undefined;
  };
  const app = at(lifecycle.sbom?.sha);
  const run = at(labels[BASE_SBOM_LABEL]);
  const abi = abiFacts(labels[ABI_NEEDS_LABEL], shared);
  return {
    platform: [config.os, config.architecture, config.variant].filter(Boolean).join("/"),
    ...(config.created && config.created !== NORMALIZED_CREATED ? { created: config.created } : {}),
    buildpacks: build.buildpacks,
    processes: processes(build, config),
    runImage: {
      ...(lifecycle.runImage?.image ? { image: lifecycle.runImage.image } : {}),
      ...(lifecycle.runImage?.reference ? { reference: lifecycle.runImage.reference } : {}),
      ...(lifecycle.runImage?.topLayer ? { topLayer: lifecycle.runImage.topLayer } : {}),
    },
    rebasable: refusal
      ? {
          ok: false,
          why: extended ? "image extensions extended its run image" : "labelled io.buildpacks.rebasable=false",
        }
      : lifecycle.runImage?.topLayer
        ? { ok: true }
        : { ok: false, why: "no run image top layer recorded" },
    sbomLayers: { ...(app ? { app } : {}), ...(run ? { run } : {}) },
    ...(abi ? { abi } : {}),
  };
}

/**
 * What the config of `manifest` says, read once per scan whatever number of images share it.
 * A scan asks for it as soon as the manifest is in, before the repository's other tags are
 * resolved, so the registry is asked for configs while the rest of the manifests arrive.
 */
export function readConfig(
  repo: FleetRepository,
  manifest: Extract<ParsedManifest, { kind: "manifest" }>,
  ctx: ScanContext,
): Promise<ConfigFacts> {
  const configDigest = manifest.manifest.config.digest;
  return memo(ctx.configs, configDigest, async () =>
    configFacts(
      parseConfig(await repo.blob(configDigest, "configs"), `${repo.name}@${configDigest}`),
      `${repo.name}@${manifest.digest}`,
      ctx.labels,
    ),
  );
}

/** Describes one manifest: a record for an app image, or why it is not one. */
export async function scanManifest(at: ManifestAtHand, ctx: ScanContext): Promise<ImageRecord | OtherImage> {
  const { repo, manifest, tags } = at;
  const digest = manifest.digest as Digest;
  const base = { repository: repo.name, tags, digest };
  const configDigest = manifest.manifest.config.digest;
  const facts = await readConfig(repo, manifest, ctx);
  if ("why" in facts) return { ...base, why: facts.why };
  const proofs = await readProofs(at, ctx);
  const provenance = proofs.provenance?.predicate;
  const sbomIds = await sboms(at, ctx, facts.sbomLayers, proofs.sbom);
  const built = provenance?.runDetails?.metadata?.finishedOn
    ? { at: provenance.runDetails.metadata.finishedOn, from: "provenance" as const }
    : facts.created
      ? { at: facts.created, from: "config" as const }
      : undefined;
  const builderDep = provenance?.buildDefinition?.resolvedDependencies?.find((d) => d.name === "builder");
  return {
    ...base,
    ...(at.index ? { index: at.index } : {}),
    platform: facts.platform,
    config: configDigest,
    ...(built ? { built } : {}),
    ...(builderDep?.uri
      ? {
          builder: {
            ref: builderDep.uri,
            ...(builderDep.digest?.sha256 ? { digest: `sha256:${builderDep.digest.sha256}` } : {}),
          },
        }
      : {}),
    buildpacks: facts.buildpacks,
    processes: facts.processes,
    runImage: facts.runImage,
    rebasable: facts.rebasable,
    ...(facts.abi ? { abi: facts.abi } : {}),
    sbom: sbomIds,
    signature: proofs.signature,
    provenance: proofs.provenance?.state ?? "none",
    ...(proofs.sigDigest || proofs.attDigest
      ? {
          proofs: {
            ...(proofs.sigDigest ? { sig: proofs.sigDigest } : {}),
            ...(proofs.attDigest ? { att: proofs.attDigest } : {}),
          },
        }
      : {}),
  };
}

/**
 * The buildpacks and processes of a config's build metadata label, parsed and made once per
 * scan for each text; a text that is not JSON is a one-line error naming `where`.
 */
function buildFacts(labels: Record<string, string>, where: string, shared: ScanContext["labels"]): BuildFacts {
  const key = `${LABELS.build}\n${labels[LABELS.build] ?? ""}`;
  const hit = shared.get(key);
  if (hit && "buildpacks" in hit) return hit;
  const parsed = parseLabel<BuildMetadata>(labels, LABELS.build, where) ?? {};
  const facts: BuildFacts = {
    buildpacks: (parsed.buildpacks ?? []).map((b) => ({ id: b.id, version: b.version })),
    processes: parsed.processes,
    byDefault: new Map(),
  };
  shared.set(key, facts);
  return facts;
}

/** The ABI needs label, parsed once per scan for each text. */
function abiFacts(text: string | undefined, shared: ScanContext["labels"]): AbiNeeds | undefined {
  if (!text) return undefined;
  const key = `${ABI_NEEDS_LABEL}\n${text}`;
  const hit = shared.get(key);
  if (hit && "abi" in hit) return hit.abi;
  const abi = parseAbiLabel<AbiNeeds>(text);
  shared.set(key, { abi });
  return abi;
}

/** The processes of a build, with the one the entrypoint starts marked default (shared by configs alike). */
function processes(build: BuildFacts, config: ImageConfig): ImageRecord["processes"] {
  const defaultType = (config.config?.Entrypoint ?? [])[0]?.match(/^\/cnb\/process\/(.+)$/)?.[1];
  const known = build.byDefault.get(defaultType ?? "");
  if (known) return known;
  const made = (build.processes ?? []).map((p) => ({
    type: p.type,
    command: [...(Array.isArray(p.command) ? p.command : [p.command]), ...(p.args ?? [])],
    default: p.type === defaultType,
  }));
  build.byDefault.set(defaultType ?? "", made);
  return made;
}

/** What the `.sig` and `.att` images beside a digest say. */
interface Proofs {
  signature: ProofState;
  sigDigest?: Digest;
  attDigest?: Digest;
  provenance?: { state: ProofState; predicate?: ProvenancePredicate };
  /** The app's packages from its CycloneDX attestations, when they could be used. */
  sbom?: InventorySbom;
}

async function readProofs(at: ManifestAtHand, ctx: ScanContext): Promise<Proofs> {
  const digest = at.manifest.digest as Digest;
  const sigTag = artifactTag(digest, "sig");
  const attTag = artifactTag(digest, "att");
  const proofs: Proofs = { signature: "none" };
  if (at.artifactTags.has(sigTag)) {
    if (ctx.key) {
      const sig = await at.repo.manifest(sigTag, "proofs");
      proofs.sigDigest = sig.digest as Digest;
      proofs.signature = signatureState(await artifactLayers(at.repo, sig), digest, ctx.key);
    } else {
      proofs.signature = "present";
    }
  }
  if (!at.artifactTags.has(attTag)) return proofs;
  const att = await at.repo.manifest(attTag, "proofs");
  proofs.attDigest = att.digest as Digest;
  if (att.kind !== "manifest") return proofs;
  const layers = att.manifest.layers;
  const provenanceLayer = layers.find(
    (l) => l.annotations?.[PREDICATE_TYPE_ANNOTATION] === PREDICATE_TYPES.slsaProvenance,
  );
  if (provenanceLayer) {
    const { state, statement } = attestationState(
      await at.repo.blob(provenanceLayer.digest, "proofs"),
      digest,
      ctx.key,
    );
    proofs.provenance = { state, ...(statement ? { predicate: statement.predicate as ProvenancePredicate } : {}) };
  }
  // The run image's SBOM is read from its layer, which the whole fleet shares, not once per image.
  const appDocs = layers.filter(
    (l) =>
      l.annotations?.[PREDICATE_TYPE_ANNOTATION] === PREDICATE_TYPES.cyclonedx &&
      !(l.annotations?.[SBOM_PATH_ANNOTATION] ?? "").startsWith("run-image/"),
  );
  if (appDocs.length === 0) return proofs;
  const packages = [];
  for (const l of appDocs) {
    const { statement } = attestationState(await at.repo.blob(l.digest, "sboms"), digest, ctx.key);
    if (!statement) return proofs; // not by the key: the SBOM layer is read instead
    packages.push(...cycloneDxPackages(statement.predicate));
  }
  proofs.sbom = { id: `attestation:${digest}`, part: "app", packages: sortPackages(packages) };
  return proofs;
}

async function artifactLayers(repo: FleetRepository, m: ParsedManifest): Promise<ArtifactLayer[]> {
  if (m.kind !== "manifest") return [];
  return Promise.all(
    m.manifest.layers.map(async (l) => ({
      mediaType: l.mediaType,
      annotations: l.annotations ?? {},
      bytes: await repo.blob(l.digest, "proofs"),
    })),
  );
}

/** The SBOM ids of an image: its app SBOM (attestation or layer) and its run image's SBOM layer. */
async function sboms(
  at: ManifestAtHand,
  ctx: ScanContext,
  layers: Extract<ConfigFacts, { platform: string }>["sbomLayers"],
  attested: InventorySbom | undefined,
): Promise<ImageRecord["sbom"]> {
  const ids: string[] = [];
  let source: ImageRecord["sbom"]["source"] = "none";
  if (attested) {
    ctx.sboms.set(attested.id, Promise.resolve(attested));
    ids.push(attested.id);
    source = "attestation";
  } else if (layers.app) {
    ids.push(await layerSbom(at, ctx, layers.app, "app", "layers/sbom/launch/"));
    source = "layer";
  }
  if (layers.run) {
    ids.push(await layerSbom(at, ctx, layers.run, "run-image", `${BASE_SBOM_DIR}/`));
    if (source === "none") source = "layer";
  }
  return { source, ids };
}

async function layerSbom(
  at: ManifestAtHand,
  ctx: ScanContext,
  layer: { diffId: string; index: number },
  part: InventorySbom["part"],
  prefix: string,
): Promise<string> {
  const id = `layer:${layer.diffId}`;
  await memo(ctx.sboms, id, async () => {
    const desc = at.manifest.manifest.layers[layer.index];
    if (!desc) {
      throw new CnbError(`${at.repo.name}@${at.manifest.digest}: SBOM layer ${layer.diffId} is not among its layers`);
    }
    const stream = await at.repo.blobStream(desc.digest, "sboms");
    return { id, part, packages: await layerPackages(stream, desc.mediaType.endsWith("gzip"), prefix) };
  });
  return id;
}

/** The value of `key` in `map`, made once by `make`; a failed make is forgotten so a re-run tries again. */
export function memo<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const hit = map.get(key);
  if (hit) return hit;
  const made = make();
  map.set(key, made);
  made.catch(() => map.delete(key));
  return made;
}
