import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import type { Digest } from "../oci/index.js";
import { concurrencyLimit, type FleetRepository, limitedRepository } from "./repository.js";

const DIGEST = `sha256:${"0".repeat(64)}` as Digest;

/** A repository whose every call waits until released, counting the calls under way. */
function gatedRepository() {
  const gates: (() => void)[] = [];
  const seen = { now: 0, most: 0 };
  const call = async <T>(value: T): Promise<T> => {
    seen.now++;
    seen.most = Math.max(seen.most, seen.now);
    await new Promise<void>((res) => gates.push(res));
    seen.now--;
    return value;
  };
  const repo: FleetRepository = {
    name: "test/repo",
    tags: () => call(["a"]),
    head: () => call(undefined),
    manifest: () => call({} as never),
    blob: () => call(Buffer.from("x")),
    blobStream: () => call(Readable.from([Buffer.from("x")])),
  };
  return { repo, gates, seen };
}

/** Lets every pending call go, until none is left. */
async function releaseAll(gates: (() => void)[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await new Promise((res) => setImmediate(res));
    if (gates.length === 0) return;
    for (const g of gates.splice(0)) g();
  }
}

describe("limitedRepository", () => {
  test("no more requests are under way than the bound, whatever the kind, and each one ends", async () => {
    const { repo, gates, seen } = gatedRepository();
    const limited = limitedRepository(repo, concurrencyLimit(3));
    const calls = Array.from({ length: 20 }, (_, i) =>
      [
        () => limited.tags(),
        () => limited.head("t"),
        () => limited.manifest("t"),
        () => limited.blob(DIGEST, "configs"),
        () => limited.blobStream(DIGEST, "sboms"),
      ][i % 5]!(),
    );
    await new Promise((res) => setImmediate(res));
    expect(seen.now).toBe(3);
    await releaseAll(gates);
    const results = await Promise.all(calls);
    expect(results).toHaveLength(20);
    expect(seen.most).toBe(3);
  });

  test("a slot is free again once a streamed blob's answer is in, before its body is read", async () => {
    const { repo, gates } = gatedRepository();
    const limited = limitedRepository(repo, concurrencyLimit(1));
    const stream = limited.blobStream(DIGEST, "sboms");
    await releaseAll(gates);
    const body = await stream;
    const next = limited.blob(DIGEST, "configs");
    await releaseAll(gates);
    expect((await next).toString()).toBe("x");
    body.destroy();
  });
});
