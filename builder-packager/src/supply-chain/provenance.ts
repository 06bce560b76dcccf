/**
 * SLSA Provenance v1 for what cnbkit made: a CNB build (source + builder + buildpacks + run
 * image + lifecycle → image) or a rebase (previous image + new run image → image). The
 * shape is in-toto-golang's `slsa_provenance/v1` (what `cosign verify-attestation --type
 * slsaprovenance1` parses); the facts are the platform's, handed over as plain values.
 *
 * Build-time environment variables are named, never valued: a build env often carries a
 * token, and provenance is public.
 */
import { digestHex } from "../oci/index.js";
import type { BuildRecord } from "../platform/index.js";

/** The build type of a cnbkit build: a CNB lifecycle run by cnbkit under runc. */
export const BUILD_TYPE = "urn:cnbkit:buildtype:cnb-build:v1";

/** The build type of a cnbkit rebase: run-image layers swapped under unchanged app layers. */
export const REBASE_TYPE = "urn:cnbkit:buildtype:cnb-rebase:v1";

/** An artifact the build used, as SLSA's ResourceDescriptor. */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The source the build read. */
export type SourceFacts =
  | { kind: "git"; uri: string | undefined; commit: string; dirty: boolean }
  | { kind: "tree"; digest: string; files: number };

/**
 * What a build knows of itself, for {@link buildProvenance}: the platform's record, with the
 * source as git names it (or the tree's digest), where the image went and cnbkit's version.
 */
export type BuildFacts = Omit<BuildRecord, "sourceTree"> & {
  cnbkitVersion: string;
  source: SourceFacts;
  /** Where the image was written. */
  output: string;
};

/** The SLSA v1 predicate (buildDefinition + runDetails). */
export interface ProvenancePredicate {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; version: Record<string, string>; builderDependencies?: ResourceDescriptor[] };
    metadata: { invocationId?: string; startedOn: string; finishedOn: string };
  };
}

/** cosign and SLSA write digests as `{algorithm: hex}`. */
function digestSet(digest: string | undefined): Record<string, string> | undefined {
  if (!digest) return undefined;
  const algo = digest.slice(0, digest.indexOf(":"));
  return { [algo]: digestHex(digest) };
}

function resource(name: string, uri: string, digest?: Record<string, string>): ResourceDescriptor {
  return { name, uri, ...(digest ? { digest } : {}) };
}

/** The source as a resolved dependency: a git commit, or the digest of the tree the lifecycle saw. */
export function sourceDescriptor(source: SourceFacts): ResourceDescriptor {
  if (source.kind === "git") {
    return {
      name: "source",
      ...(source.uri ? { uri: `git+${source.uri}` } : {}),
      digest: { gitCommit: source.commit },
      ...(source.dirty ? { annotations: { dirty: "true" } } : {}),
    };
  }
  return { name: "source", digest: digestSet(source.digest)!, annotations: { files: String(source.files) } };
}

/** The cnbkit CLI as SLSA's builder: a package URL names the tool that ran the build. */
function cnbkitBuilder(version: string): ProvenancePredicate["runDetails"]["builder"] {
  return { id: `pkg:npm/%40cnbkit/builder-packager@${version}`, version: { cnbkit: version } };
}

/** The provenance predicate of a build. */
export function buildProvenance(f: BuildFacts): ProvenancePredicate {
  const deps: ResourceDescriptor[] = [
    sourceDescriptor(f.source),
    resource("builder", f.builder.ref, digestSet(f.builder.digest)),
    ...f.buildpacks.map((bp) =>
      resource(`buildpack:${bp.id}`, `urn:cnb:buildpack:${bp.id}@${bp.version}`, digestSet(bp.digest)),
    ),
    resource("run-image", f.runImage.ref, digestSet(f.runImage.digest)),
    ...(f.lifecycleVersion ? [resource("lifecycle", `pkg:github/buildpacks/lifecycle@v${f.lifecycleVersion}`)] : []),
  ];
  return {
    buildDefinition: {
      buildType: BUILD_TYPE,
      externalParameters: {
        source: sourceDescriptor(f.source),
        builder: f.builder.ref,
        runImage: f.runImage.ref,
        output: f.output,
        env: [...f.envNames].sort(),
      },
      internalParameters: {
        platformApi: f.platformApi,
        ...(f.lifecycleVersion ? { lifecycle: f.lifecycleVersion } : {}),
      },
      resolvedDependencies: deps,
    },
    runDetails: {
      builder: cnbkitBuilder(f.cnbkitVersion),
      metadata: { startedOn: f.startedOn.toISOString(), finishedOn: f.finishedOn.toISOString() },
    },
  };
}

/** What a rebase knows of itself, for {@link rebaseProvenance}. */
export interface RebaseFacts {
  cnbkitVersion: string;
  /** The app image before the rebase. */
  previous: { ref: string; digest: string };
  /** The run image it was on (the lifecycle label's reference) and the one it is on now. */
  oldRunImage: { ref: string; topLayer?: string };
  newRunImage: { ref: string; digest?: string; topLayer: string };
  output: string;
  startedOn: Date;
  finishedOn: Date;
}

/** What {@link rebasedIndexProvenance} records: the index before, and each platform's new image. */
export interface IndexRebaseFacts {
  cnbkitVersion: string;
  previous: { ref: string; digest: string };
  /** The run image given (`--run-image`), or undefined when each image's recorded one was used. */
  runImage: string | undefined;
  platforms: { platform: string; digest: string; previousDigest: string; topLayer: string }[];
  output: string;
  startedOn: Date;
  finishedOn: Date;
}

/**
 * The provenance predicate of a rebased image index: it names the previous index and, per
 * platform, the image it was and the image it is now with its new run image's top layer (each
 * platform's own attestation names that platform's run images in full).
 */
export function rebasedIndexProvenance(f: IndexRebaseFacts): ProvenancePredicate {
  return {
    buildDefinition: {
      buildType: REBASE_TYPE,
      externalParameters: {
        image: f.previous.ref,
        ...(f.runImage ? { runImage: f.runImage } : {}),
        output: f.output,
        platforms: f.platforms.map((p) => p.platform),
      },
      resolvedDependencies: [
        resource("previous-image", f.previous.ref, digestSet(f.previous.digest)),
        ...f.platforms.flatMap((p) => [
          { ...resource(`previous-image/${p.platform}`, f.previous.ref, digestSet(p.previousDigest)) },
          {
            ...resource(`image/${p.platform}`, f.output, digestSet(p.digest)),
            annotations: { topLayer: p.topLayer },
          },
        ]),
      ],
    },
    runDetails: {
      builder: cnbkitBuilder(f.cnbkitVersion),
      metadata: { startedOn: f.startedOn.toISOString(), finishedOn: f.finishedOn.toISOString() },
    },
  };
}

/** The provenance predicate of a rebase: it names the previous image and both run images. */
export function rebaseProvenance(f: RebaseFacts): ProvenancePredicate {
  const previousRun: ResourceDescriptor = {
    name: "previous-run-image",
    uri: f.oldRunImage.ref,
    ...(f.oldRunImage.topLayer ? { annotations: { topLayer: f.oldRunImage.topLayer } } : {}),
  };
  return {
    buildDefinition: {
      buildType: REBASE_TYPE,
      externalParameters: { image: f.previous.ref, runImage: f.newRunImage.ref, output: f.output },
      resolvedDependencies: [
        resource("previous-image", f.previous.ref, digestSet(f.previous.digest)),
        previousRun,
        {
          ...resource("run-image", f.newRunImage.ref, digestSet(f.newRunImage.digest)),
          annotations: { topLayer: f.newRunImage.topLayer },
        },
      ],
    },
    runDetails: {
      builder: cnbkitBuilder(f.cnbkitVersion),
      metadata: { startedOn: f.startedOn.toISOString(), finishedOn: f.finishedOn.toISOString() },
    },
  };
}
