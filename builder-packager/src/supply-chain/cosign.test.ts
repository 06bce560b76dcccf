/**
 * What cnbkit signs and attests, read by the real cosign (v2.6.5, built from its Go module):
 * a small image in a loopback distribution registry and in an OCI layout, signed with
 * cosign's own encrypted key and with an Ed25519 PEM key. cosign and `verifyImage` must
 * agree: both accept the sealed image, and both refuse a moved tag, a changed attestation
 * and another key. Key loading's one-line errors are checked here too.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cycloneDxJson } from "@cnbkit/framework/sbom";
import {
  copyImage,
  type Digest,
  imageConfig,
  OciLayout,
  openImageSink,
  openImageSource,
  parseReference,
  RegistryClient,
  writeLayer,
} from "../oci/index.js";
import { startReferrersRegistry, startRegistry, type TestRegistry } from "../oci/test-registry.js";
import { DSSE_MEDIA_TYPE } from "./dsse.js";
import { loadSigningKey, loadVerifyKey } from "./keys.js";
import { buildProvenance } from "./provenance.js";
import { type Attestation, signImage } from "./sign-image.js";
import { PREDICATE_TYPES, statement } from "./statement.js";
import { artifactStore, markSignedImage, SIGNATURE_ARTIFACT_TYPE } from "./storage.js";
import { cosign, cosignKeyPair } from "./test-cosign.js";
import { verifyImage } from "./verify.js";

const PASSWORD = "correct horse battery staple";
let work: string;
let registry: TestRegistry;
let keys: { key: string; pub: string };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-cosign-"));
  registry = await startRegistry();
  keys = await cosignKeyPair(work, PASSWORD);
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

/** A one-layer image tagged `tag` in the layout `dir`, holding `text`. */
async function smallImage(dir: string, tag: string, text: string): Promise<Digest> {
  const layout = await OciLayout.create(dir);
  const data = Buffer.from(text);
  const layer = await writeLayer([{ type: "file", path: "app/hello.txt", size: data.length, data }], layout.blobDir);
  const desc = await layout.writeImage({
    config: imageConfig({ architecture: "amd64", diffIds: [layer.diffId] }),
    layers: [layer],
    tag,
  });
  return desc.digest;
}

/** Provenance and one CycloneDX SBOM about `name@digest`, as a build would attest them. */
function attestationsFor(name: string, digest: Digest): Attestation[] {
  const provenance = buildProvenance({
    cnbkitVersion: "0.1.0",
    builder: { ref: "oci:/builders/reference:latest", digest: `sha256:${"b".repeat(64)}` },
    buildpacks: [{ id: "cnbkit/nodejs", version: "1.0.0", digest: `sha256:${"c".repeat(64)}` }],
    runImage: { ref: "oci:/base:run", digest: `sha256:${"d".repeat(64)}` },
    lifecycleVersion: "0.21.17",
    platformApi: "0.14",
    source: { kind: "git", uri: "https://github.com/acme/hello.git", commit: "a".repeat(40), dirty: false },
    envNames: ["BP_NODE_VERSION", "NPM_TOKEN"],
    output: name,
    startedOn: new Date("2026-11-26T10:00:00Z"),
    finishedOn: new Date("2026-11-26T10:00:09Z"),
  });
  const sbom = JSON.parse(
    cycloneDxJson([{ name: "express", version: "4.21.2", purl: "pkg:npm/express@4.21.2" }], { name: "hello" }),
  );
  return [
    { statement: statement(name, digest, PREDICATE_TYPES.slsaProvenance, provenance) },
    { statement: statement(name, digest, PREDICATE_TYPES.cyclonedx, sbom) },
  ];
}

const VERIFY = ["--insecure-ignore-tlog", "--allow-insecure-registry"];

describe("a registry image", () => {
  let ref: string;
  let digest: Digest;

  beforeAll(async () => {
    const dir = join(work, "img");
    await smallImage(dir, "v1", "hello v1");
    ref = `${registry.host}/acme/hello:v1`;
    const copied = await copyImage(await openImageSource(`oci:${dir}:v1`), await openImageSink(ref));
    digest = copied.descriptor.digest;
    const key = await loadSigningKey(keys.key, { password: PASSWORD });
    const name = `${registry.host}/acme/hello`;
    await signImage({ ref: parseReference(ref), digest, key, attestations: attestationsFor(name, digest) });
  }, 120_000);

  test("cosign verifies its signature, provenance and SBOM attestation", async () => {
    const sig = await cosign(["verify", "--key", keys.pub, ...VERIFY, ref]);
    expect(sig.stderr).toContain("The signatures were verified against the specified public key");
    expect(sig.code).toBe(0);
    const signed = JSON.parse(sig.stdout) as { critical: { image: { "docker-manifest-digest": string } } }[];
    expect(signed[0]!.critical.image["docker-manifest-digest"]).toBe(digest);

    const prov = await cosign(["verify-attestation", "--key", keys.pub, "--type", "slsaprovenance1", ...VERIFY, ref]);
    expect(prov.code, prov.stderr).toBe(0);
    const envelope = JSON.parse(prov.stdout.trim().split("\n")[0]!) as { payload: string };
    const stmt = JSON.parse(Buffer.from(envelope.payload, "base64").toString()) as {
      predicateType: string;
      predicate: { buildDefinition: { externalParameters: { env: string[] } } };
    };
    expect(stmt.predicateType).toBe("https://slsa.dev/provenance/v1");
    // names only: a value never enters provenance
    expect(stmt.predicate.buildDefinition.externalParameters.env).toEqual(["BP_NODE_VERSION", "NPM_TOKEN"]);

    const cdx = await cosign(["verify-attestation", "--key", keys.pub, "--type", "cyclonedx", ...VERIFY, ref]);
    expect(cdx.code, cdx.stderr).toBe(0);
  }, 120_000);

  test("cnbkit verify agrees, and checks the policy", async () => {
    const pub = await loadVerifyKey(keys.pub);
    const report = await verifyImage(ref, pub, {
      builder: "oci:/builders/reference:latest",
      buildpacks: ["cnbkit/nodejs@1.0.0"],
      source: "git@github.com:acme/hello",
    });
    expect(report.digest).toBe(digest);
    expect(report.signatures).toBe(1);
    expect(report.attestations).toEqual({ [PREDICATE_TYPES.slsaProvenance]: 1, [PREDICATE_TYPES.cyclonedx]: 1 });
    await expect(verifyImage(ref, pub, { buildpacks: ["cnbkit/python"] })).rejects.toThrow(
      /was not built by buildpack cnbkit\/python \(its buildpacks: cnbkit\/nodejs@1\.0\.0\)/,
    );
    await expect(verifyImage(ref, pub, { source: "https://github.com/evil/hello" })).rejects.toThrow(
      /was built from https:\/\/github\.com\/acme\/hello\.git, not https:\/\/github\.com\/evil\/hello/,
    );
    await expect(verifyImage(ref, pub, { builder: "docker.io/paketobuildpacks/builder" })).rejects.toThrow(
      /was built with builder oci:\/builders\/reference:latest@sha256:b+, not docker\.io/,
    );
  });

  test("another key fails in cosign and in cnbkit", async () => {
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pubFile = join(work, "other.pub");
    await writeFile(pubFile, other.publicKey.export({ type: "spki", format: "pem" }));
    const r = await cosign(["verify", "--key", pubFile, ...VERIFY, ref]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no matching signatures/);
    await expect(verifyImage(ref, await loadVerifyKey(pubFile))).rejects.toThrow(
      /none of its 1 signature\(s\) was made with this key/,
    );
  });

  test("a tag moved to an unsigned digest fails in cosign and in cnbkit", async () => {
    const dir = join(work, "img");
    await smallImage(dir, "v2", "hello v2, never signed");
    const moved = `${registry.host}/acme/moved:v1`;
    // the signed image first, then its tag moved to another digest
    await copyImage(await openImageSource(ref), await openImageSink(moved));
    const store = artifactStore(parseReference(ref));
    const movedStore = artifactStore(parseReference(moved));
    for (const kind of ["sig", "att"] as const) await movedStore.write(digest, kind, await store.read(digest, kind));
    expect((await cosign(["verify", "--key", keys.pub, ...VERIFY, moved])).code).toBe(0);
    await copyImage(await openImageSource(`oci:${dir}:v2`), await openImageSink(moved));
    const r = await cosign(["verify", "--key", keys.pub, ...VERIFY, moved]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no signatures found/);
    await expect(verifyImage(moved, await loadVerifyKey(keys.pub))).rejects.toThrow(/is not signed: .* has no sha256-/);
  });

  test("a changed attestation fails in cosign and in cnbkit", async () => {
    const tampered = `${registry.host}/acme/tampered:v1`;
    await copyImage(await openImageSource(ref), await openImageSink(tampered));
    const store = artifactStore(parseReference(tampered));
    const src = artifactStore(parseReference(ref));
    await store.write(digest, "sig", await src.read(digest, "sig"));
    // The provenance now claims another source; the signature is the original one.
    const atts = (await src.read(digest, "att")).map((layer) => {
      const env = JSON.parse(layer.bytes.toString()) as { payload: string };
      const body = Buffer.from(env.payload, "base64").toString().replace("acme/hello.git", "evil/hello.git");
      return {
        ...layer,
        bytes: Buffer.from(JSON.stringify({ ...env, payload: Buffer.from(body).toString("base64") })),
      };
    });
    expect(atts.every((l) => l.mediaType === DSSE_MEDIA_TYPE)).toBe(true);
    await store.write(digest, "att", atts);
    const r = await cosign(["verify-attestation", "--key", keys.pub, "--type", "slsaprovenance1", ...VERIFY, tampered]);
    expect(r.code).not.toBe(0);
    await expect(verifyImage(tampered, await loadVerifyKey(keys.pub))).rejects.toThrow(
      /attestation 1 of 2 \(https:\/\/slsa\.dev\/provenance\/v1\) does not verify with this key/,
    );
  });

  test("cosign's own signature is one cnbkit reads", async () => {
    const theirs = `${registry.host}/acme/theirs:v1`;
    await copyImage(await openImageSource(ref), await openImageSink(theirs));
    const signed = await cosign(
      ["sign", "--key", keys.key, "--tlog-upload=false", "--allow-insecure-registry", theirs],
      { COSIGN_PASSWORD: PASSWORD },
    );
    expect(signed.code, signed.stderr).toBe(0);
    // The signature checks out; what is missing is the provenance cosign sign does not write.
    await expect(verifyImage(theirs, await loadVerifyKey(keys.pub))).rejects.toThrow(
      /has no SLSA provenance attestation/,
    );
  });
});

describe("a registry that serves OCI 1.1 referrers", () => {
  test("the signature is also a referrer of the image, where cosign --experimental-oci11 finds it", async () => {
    const v3 = await startReferrersRegistry();
    try {
      const dir = join(work, "img3");
      await smallImage(dir, "v1", "hello referrers");
      const ref = `${v3.host}/acme/hello:v1`;
      const { descriptor } = await copyImage(await openImageSource(`oci:${dir}:v1`), await openImageSink(ref));
      const key = await loadSigningKey(keys.key, { password: PASSWORD });
      await signImage({ ref: parseReference(ref), digest: descriptor.digest, key });
      const referrers = await new RegistryClient(v3.host).referrers("acme/hello", descriptor.digest);
      expect(referrers?.manifests.map((m) => m.artifactType)).toEqual([SIGNATURE_ARTIFACT_TYPE]);
      const r = await cosign(["verify", "--experimental-oci11", "--key", keys.pub, ...VERIFY, ref]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(descriptor.digest);
      // Debian's registry (2.8) has no referrers API: there the tag is all there is.
      expect(await new RegistryClient(registry.host).referrers("acme/hello", descriptor.digest)).toBeUndefined();
    } finally {
      await v3.stop();
    }
  }, 300_000);
});

describe("an OCI layout", () => {
  test("cosign verify --local-image and verify-attestation --local-image accept an Ed25519-signed image", async () => {
    const dir = join(work, "layout");
    const digest = await smallImage(dir, "latest", "hello from a layout");
    const pair = generateKeyPairSync("ed25519");
    const keyFile = join(work, "ed25519.pem");
    const pubFile = join(work, "ed25519.pub");
    await writeFile(keyFile, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
    await writeFile(pubFile, pair.publicKey.export({ type: "spki", format: "pem" }));
    const ref = parseReference(`oci:${dir}:latest`);
    const key = await loadSigningKey(keyFile);
    expect(key.algorithm).toBe("ed25519");
    await signImage({ ref, digest, key, attestations: attestationsFor(`oci:${dir}`, digest) });
    await markSignedImage(ref, digest);

    const sig = await cosign(["verify", "--key", pubFile, "--insecure-ignore-tlog", "--local-image", dir]);
    expect(sig.code, sig.stderr).toBe(0);
    for (const type of ["slsaprovenance1", "cyclonedx"]) {
      const r = await cosign([
        "verify-attestation",
        "--key",
        pubFile,
        "--type",
        type,
        "--insecure-ignore-tlog",
        "--local-image",
        dir,
      ]);
      expect(r.code, `${type}: ${r.stderr}`).toBe(0);
    }
    expect((await verifyImage(`oci:${dir}:latest`, await loadVerifyKey(pubFile))).signatures).toBe(1);
    // skopeo still reads the image (the layout's extra entries are cosign's, tagged sha256-*.sig/.att)
    const tags = await (await OciLayout.open(dir)).tags();
    expect(tags.sort()).toEqual([`sha256-${digest.slice(7)}.att`, `sha256-${digest.slice(7)}.sig`, "latest"].sort());
  }, 120_000);
});

describe("keys", () => {
  test("cosign's encrypted key opens with its password and not without", async () => {
    expect((await loadSigningKey(keys.key, { password: PASSWORD })).algorithm).toBe("ecdsa-p256");
    await expect(loadSigningKey(keys.key, { password: "wrong", flag: "--sign-key" })).rejects.toThrow(
      `--sign-key ${keys.key}: wrong password (COSIGN_PASSWORD does not decrypt it)`,
    );
    const saved = process.env.COSIGN_PASSWORD;
    delete process.env.COSIGN_PASSWORD;
    try {
      await expect(loadSigningKey(keys.key)).rejects.toThrow(/is an encrypted cosign key: set COSIGN_PASSWORD/);
    } finally {
      if (saved !== undefined) process.env.COSIGN_PASSWORD = saved;
    }
  });

  test("a key cosign can't use, a missing key and a public key are one line each", async () => {
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    const file = join(work, "k1.pem");
    await writeFile(file, k1.privateKey.export({ type: "pkcs8", format: "pem" }));
    await expect(loadSigningKey(file, { flag: "--sign-key" })).rejects.toThrow(
      `--sign-key ${file} is an ECDSA secp256k1 key, which cosign signatures do not use`,
    );
    await expect(loadSigningKey(join(work, "nope.key"), { flag: "--sign-key" })).rejects.toThrow(
      /--sign-key .*nope\.key does not exist/,
    );
    await expect(loadSigningKey(keys.pub)).rejects.toThrow(/is a public key; signing needs the private key/);
    await expect(loadVerifyKey(keys.key)).rejects.toThrow(/is not a PEM public key/);
  });
});
