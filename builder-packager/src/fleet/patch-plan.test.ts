import { type PatchRule, patchRecord } from "@cnbkit/framework/dependencies";
import { describe, expect, test } from "vitest";
import type { Descriptor, Digest, ImageConfig, ResolvedImage } from "../oci/index.js";
import type { ImageRecord } from "./inventory.js";
import { patchedImage } from "./patch-image.js";
import { type PatchReference, planImage } from "./patch-plan.js";

// Images as their configs say them: the lifecycle label's layers with patch records, as
// cnbkit/nodejs writes them. No registry: the plan and the rewrite are pure.
const NODE: PatchRule = { same: "major", why: "NODE_MODULE_VERSION is fixed within a major" };
const d = (s: string) => `sha256:${s.padEnd(64, "0")}` as Digest;
const desc = (s: string): Descriptor => ({
  mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  digest: d(`b${s}`),
  size: 10,
});

interface Shape {
  version: string;
  launchOnly?: boolean;
  nodeEnv?: string;
  rule?: PatchRule | undefined;
  /** Another diffID in the label than among the layers. */
  stale?: boolean;
  extra?: Record<string, unknown>;
}

function image(s: Shape, derived?: PatchRule["derived"]): ResolvedImage {
  const node = d(`a${s.version.replaceAll(".", "")}${s.launchOnly === false ? "b" : ""}`);
  const rule =
    s.rule === undefined && "rule" in s ? undefined : { ...(s.rule ?? NODE), ...(derived ? { derived } : {}) };
  const data = {
    "cache-key": { version: s.version, sha256: `sum-${s.version}`, arch: "amd64", nodeEnv: s.nodeEnv ?? "production" },
    ...(rule
      ? { patch: patchRecord({ id: "node", version: s.version, sha256: `sum-${s.version}` }, "amd64", rule) }
      : {}),
  };
  const layers = {
    node: { sha: s.stale ? d("ff") : node, data, launch: true, build: s.launchOnly === false, cache: false },
    cds: { sha: d("cd5"), launch: true },
  };
  const label = {
    buildpacks: [{ key: "cnbkit/nodejs", version: "0.1.0", layers }],
    sbom: { sha: d("5b") },
    ...s.extra,
  };
  const diffIds = [d("01"), node, d("cd5"), d("5b")];
  const config: ImageConfig = {
    architecture: "amd64",
    os: "linux",
    config: { Labels: { "io.buildpacks.lifecycle.metadata": JSON.stringify(label) } },
    rootfs: { type: "layers", diff_ids: diffIds },
    history: diffIds.map((x) => ({ created_by: x })),
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: desc("c"),
    layers: diffIds.map((x) => desc(x.slice(7, 12))),
  };
  return {
    manifest: { kind: "manifest", mediaType: manifest.mediaType, digest: d("m"), bytes: Buffer.from("{}"), manifest },
    config,
  } as ResolvedImage;
}

function reference(img: ResolvedImage): PatchReference {
  const label = JSON.parse(img.config.config!.Labels!["io.buildpacks.lifecycle.metadata"]!);
  const entry = label.buildpacks[0].layers.node;
  const record = entry.data.patch;
  const layer = {
    key: "cnbkit/nodejs:node",
    buildpack: "cnbkit/nodejs",
    name: "node",
    entry,
    record,
    index: 1,
    descriptor: desc("new"),
  };
  return {
    ref: "r/ref:1",
    image: img,
    platform: "linux/amd64",
    layers: new Map([[layer.key, layer]]),
    sbomTar: Buffer.alloc(0),
  } as unknown as PatchReference;
}

const record = (platform = "linux/amd64") =>
  ({ repository: "r/app", tags: ["v1"], digest: d("m"), platform }) as ImageRecord;
const ref = reference(image({ version: "24.21.0" }));

describe("planImage", () => {
  test.each([
    ["an older patch of the line", { version: "24.20.0" }, "patch", ""],
    ["the same runtime", { version: "24.21.0" }, "current", ""],
    ["a newer one", { version: "24.22.0" }, "cannot", "cnbkit/nodejs:node: node 24.21.0 is not newer than 24.22.0"],
    [
      "another major",
      { version: "22.23.3" },
      "cannot",
      "node 24.21.0 leaves line 22 (same major: NODE_MODULE_VERSION is fixed within a major)",
    ],
    [
      "a build+launch runtime (headers kept)",
      { version: "24.20.0", launchOnly: false },
      "cannot",
      "the reference's layer is launch, this image's build+launch: use a reference built like it",
    ],
    [
      "another NODE_ENV",
      { version: "24.20.0", nodeEnv: "development" },
      "cannot",
      `made with [["arch","amd64"],["nodeEnv","production"]], this image's with [["arch","amd64"],["nodeEnv","development"]]`,
    ],
    [
      "no patch rule recorded",
      { version: "24.20.0", rule: undefined },
      "cannot",
      "its layers record no patch rule (built before the buildpack declared one)",
    ],
    [
      "a layer not what the label says",
      { version: "24.20.0", stale: true },
      "cannot",
      "is not among the image's layers",
    ],
  ] as const)("%s: %s", (_what, shape, kind, why) => {
    const step = planImage(record(), image(shape as Shape).config, ref);
    expect(step.kind).toBe(kind);
    if (step.kind === "cannot") expect(step.why).toContain(why);
  });

  test("an image of another platform with the layer cannot; one without it is unrelated", () => {
    expect(planImage(record("linux/arm64"), image({ version: "24.20.0" }).config, ref)).toMatchObject({
      kind: "cannot",
      why: "it is linux/arm64, the reference linux/amd64",
    });
    const python = image({ version: "24.20.0" });
    python.config.config!.Labels!["io.buildpacks.lifecycle.metadata"] = JSON.stringify({
      buildpacks: [{ key: "cnbkit/python", layers: {} }],
    });
    expect(planImage(record(), python.config, ref).kind).toBe("unrelated");
  });
});

describe("patchedImage", () => {
  test("the layer and SBOM diffIDs and descriptors are the reference's and the new SBOM's; the label says so; the rest is kept", () => {
    const old = image({ version: "24.20.0" });
    const step = planImage(record(), old.config, ref);
    if (step.kind !== "patch") throw new Error(step.kind);
    const sbom = { diffId: d("5c"), blob: { descriptor: desc("sb"), bytes: Buffer.alloc(0) } };
    const out = patchedImage(old, step.changes, sbom, "r/app");
    const config = JSON.parse(out.config.bytes.toString()) as ImageConfig;
    expect(config.rootfs.diff_ids).toEqual([d("01"), d("a24210"), d("cd5"), d("5c")]);
    const manifest = JSON.parse(out.manifest.bytes.toString());
    expect(manifest.layers.map((l: Descriptor) => l.digest)).toEqual([
      desc("01000").digest,
      desc("new").digest,
      desc("cd500").digest,
      desc("sb").digest,
    ]);
    const label = JSON.parse(config.config!.Labels!["io.buildpacks.lifecycle.metadata"]!);
    expect(label.sbom.sha).toBe(d("5c"));
    expect(label.buildpacks[0].layers.node.data.patch.version).toBe("24.21.0");
    expect(label.buildpacks[0].layers.node.data["cache-key"].version).toBe("24.21.0");
    expect(out.dropped).toEqual([]);
    expect(config.history).toHaveLength(4);
  });

  test("io.cnbkit.abi.needs is the reference's when the layers end up the reference's, else left out (never stale)", () => {
    const old = image({ version: "24.20.0" });
    old.config.config!.Labels!["io.cnbkit.abi.needs"] = "needs of 24.20.0";
    const step = planImage(record(), old.config, ref);
    if (step.kind !== "patch") throw new Error(step.kind);
    const labels = (reference?: ImageConfig) =>
      (
        JSON.parse(
          patchedImage(old, step.changes, undefined, "r/app", reference).config.bytes.toString(),
        ) as ImageConfig
      ).config!.Labels!;
    const same: ImageConfig = {
      ...old.config,
      rootfs: { type: "layers", diff_ids: [d("01"), d("a24210"), d("cd5"), d("5b")] },
      config: { Labels: { "io.cnbkit.abi.needs": "needs of 24.21.0" } },
    };
    expect(labels(same)["io.cnbkit.abi.needs"]).toBe("needs of 24.21.0");
    expect(labels({ ...same, rootfs: { type: "layers", diff_ids: [d("02")] } })).not.toHaveProperty(
      "io.cnbkit.abi.needs",
    );
  });

  test("a rule that refuses derived data leaves an image with that layer, naming it", () => {
    const refuse = [
      { what: "a CDS archive", action: "refuse" as const, layer: "cds", why: "trained on the exact JVM" },
    ];
    const step = planImage(
      record(),
      image({ version: "24.20.0" }, refuse).config,
      reference(image({ version: "24.21.0" }, refuse)),
    );
    expect(step).toMatchObject({
      kind: "cannot",
      why: "cnbkit/nodejs:node: layer cds holds a CDS archive (trained on the exact JVM): rebuild it",
    });
  });

  test("a rule that marks derived data stale patches, keeps that layer and says so in the plan", () => {
    // cnbkit/java's rule for the Spring Boot startup cache (buildpacks/java/src/patch-rule.ts).
    const stale = [
      {
        what: "the Spring Boot startup cache (CDS archive or AOT cache) trained on the old JVM build",
        action: "stale" as const,
        layer: "cds",
        why: "the new JVM ignores it, so the app starts slower until a build trains a new one",
      },
    ];
    const old = image({ version: "24.20.0" }, stale);
    const step = planImage(record(), old.config, reference(image({ version: "24.21.0" }, stale)));
    if (step.kind !== "patch") throw new Error(step.kind);
    expect(step.notes).toEqual([
      "cnbkit/nodejs:node: keeps layer cds, stale: the Spring Boot startup cache (CDS archive or AOT cache) " +
        "trained on the old JVM build (the new JVM ignores it, so the app starts slower until a build trains " +
        "a new one): rebuild to restore it",
    ]);
    const out = patchedImage(old, step.changes, undefined, "r/app");
    const config = JSON.parse(out.config.bytes.toString()) as ImageConfig;
    expect(out.dropped).toEqual([]);
    expect(config.rootfs.diff_ids).toContain(d("cd5"));
  });

  test("a stale-data rule says nothing for an image without that layer", () => {
    const stale = [{ what: "a startup cache", action: "stale" as const, layer: "aot", why: "trained on the old JVM" }];
    const step = planImage(
      record(),
      image({ version: "24.20.0" }, stale).config,
      reference(image({ version: "24.21.0" }, stale)),
    );
    expect(step).toMatchObject({ kind: "patch", notes: [] });
  });

  test("a rule that drops derived data removes that layer, its history entry and its label entry", () => {
    const drop = [{ what: "the CDS archive", action: "drop" as const, layer: "cds", why: "made by the old JVM" }];
    const old = image({ version: "24.20.0" }, drop);
    const dropRef = reference(image({ version: "24.21.0" }, drop));
    const step = planImage(record(), old.config, dropRef);
    if (step.kind !== "patch") throw new Error(step.kind);
    expect(step.notes).toEqual(["cnbkit/nodejs:node: drops layer cds: the CDS archive (made by the old JVM)"]);
    const out = patchedImage(old, step.changes, undefined, "r/app");
    const config = JSON.parse(out.config.bytes.toString()) as ImageConfig;
    expect(out.dropped).toEqual(["cnbkit/nodejs:cds"]);
    expect(config.rootfs.diff_ids).not.toContain(d("cd5"));
    expect(config.history?.map((h) => h.created_by)).toEqual([d("01"), d("a24200"), d("5b")]);
    expect(
      JSON.parse(config.config!.Labels!["io.buildpacks.lifecycle.metadata"]!).buildpacks[0].layers.cds,
    ).toBeUndefined();
  });
});
