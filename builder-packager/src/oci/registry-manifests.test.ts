import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256 } from "./digest.js";
import { MEDIA_TYPES } from "./image.js";
import { RegistryClient } from "./registry.js";

/** A manifest server on loopback whose answers say any Docker-Content-Digest the test wants. */
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: MEDIA_TYPES.config, digest: `sha256:${"1".repeat(64)}`, size: 2 },
    layers: [],
  }),
);
const answers: Record<string, { body: Buffer; digest: string }> = {
  "/v2/acme/app/manifests/good": { body: manifest, digest: sha256(manifest) },
  "/v2/acme/app/manifests/other": { body: manifest, digest: `sha256:${"2".repeat(64)}` },
  "/v2/acme/app/manifests/garbled": { body: Buffer.from("{not json"), digest: `sha256:${"3".repeat(64)}` },
  "/v2/acme/app/manifests/broken": { body: Buffer.from("{not json"), digest: sha256(Buffer.from("{not json")) },
};
let server: Server;
let host: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const a = answers[req.url ?? ""];
    if (!a) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": MEDIA_TYPES.manifest, "docker-content-digest": a.digest }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("getManifest checks the digest of what it parses", () => {
  const client = () => new RegistryClient(host, { insecure: true, attempts: 1 });

  test("a manifest whose bytes have the digest the registry names is parsed once, with that digest", async () => {
    const m = await client().getManifest("acme/app", "good");
    expect(m.digest).toBe(sha256(manifest));
    expect(m.kind).toBe("manifest");
  });

  test("bytes of another digest than the tag's are refused", async () => {
    await expect(client().getManifest("acme/app", "other")).rejects.toThrow(
      `manifest acme/app:other has digest ${sha256(manifest)}, expected sha256:${"2".repeat(64)}`,
    );
  });

  test("bytes of another digest than a digest reference are refused", async () => {
    const wanted = `sha256:${"4".repeat(64)}`;
    answers[`/v2/acme/app/manifests/${wanted}`] = { body: manifest, digest: wanted };
    await expect(client().getManifest("acme/app", wanted)).rejects.toThrow(`has digest ${sha256(manifest)}`);
  });

  test("garbled bytes say their digest is wrong before they say they are not JSON", async () => {
    await expect(client().getManifest("acme/app", "garbled")).rejects.toThrow(
      `has digest ${sha256(Buffer.from("{not json"))}, expected sha256:${"3".repeat(64)}`,
    );
  });

  test("bytes of the right digest that are not a manifest say so", async () => {
    await expect(client().getManifest("acme/app", "broken")).rejects.toThrow("not valid JSON");
  });
});
