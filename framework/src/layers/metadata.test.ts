import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, expectTypeOf, test } from "vitest";
import { parseLayerToml, stringifyToml } from "../cnb-files/index.js";
import { createLogger } from "../log/index.js";
import { Layers } from "./layers.js";
import { type LayerMetadata, metadataSchema, readLayerMetadata } from "./metadata.js";

let dir: string;
let lines: string[];
const layers = () =>
  new Layers(dir, {
    log: createLogger({ sink: (l) => lines.push(l), color: false, env: {} }),
    self: async () => join(dir, "self-program"),
  });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-layer-metadata-"));
  lines = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the lifecycle leaves before a rebuild: the TOML without [types] (the directory stays). */
async function stripTypes(name: string): Promise<void> {
  const t = parseLayerToml(await readFile(join(dir, `${name}.toml`), "utf8"), "x");
  await writeFile(join(dir, `${name}.toml`), stringifyToml({ metadata: t.metadata }));
}

const types = { build: true, cache: true };
const key = { version: "1" };
/** Version 2 of a buildpack stores `artifact`; version 1 stored the same value as `jar`. */
const v2 = metadataSchema(
  { artifact: "string", classes: "number?" },
  { migrate: (old) => (typeof old.jar === "string" ? { artifact: old.jar, classes: undefined } : undefined) },
);

describe("metadataSchema", () => {
  test("types the metadata, drops unknown fields and names what is wrong", () => {
    const schema = metadataSchema({ name: "string", tags: "string[]", libs: "table[]", n: "number?" });
    expectTypeOf<ReturnType<typeof schema.validate>>().toEqualTypeOf<{
      name: string;
      tags: string[];
      libs: Record<string, unknown>[];
      n: number | undefined;
    }>();
    expect(schema.validate({ name: "a", tags: ["x"], libs: [{ a: 1 }], other: 1 })).toEqual({
      name: "a",
      tags: ["x"],
      libs: [{ a: 1 }],
    });
    expect(() => schema.validate({ tags: [], libs: [] })).toThrow("name is missing");
    expect(() => schema.validate({ name: 3, tags: [], libs: [] })).toThrow("name is number 3, not string");
    expect(() => schema.validate({ name: "a", tags: [1], libs: [] })).toThrow("tags is a list, not string[]");
    expect(() => schema.validate({ name: "a", tags: [], libs: ["x"] })).toThrow("libs is a list, not a list of tables");
  });

  test("a field may be a function that checks and converts its value", () => {
    const schema = metadataSchema({
      when: (v, field) => {
        if (!(v instanceof Date)) throw new Error(`${field} is not a date`);
        return v.toISOString();
      },
    });
    expectTypeOf<ReturnType<typeof schema.validate>>().toEqualTypeOf<{ when: string }>();
    expect(schema.validate({ when: new Date(0) })).toEqual({ when: "1970-01-01T00:00:00.000Z" });
    expect(() => schema.validate({ when: "x" })).toThrow("when is not a date");
  });

  test("readLayerMetadata migrates what validate refuses, or says why it cannot", () => {
    expect(readLayerMetadata(v2, { artifact: "a.jar" })).toEqual({
      ok: true,
      metadata: { artifact: "a.jar" },
      migrated: false,
    });
    expect(readLayerMetadata(v2, { jar: "old.jar" })).toEqual({
      ok: true,
      metadata: { artifact: "old.jar" },
      migrated: true,
    });
    expect(readLayerMetadata(v2, { other: 1 })).toEqual({
      ok: false,
      reason: "metadata from an older buildpack version: artifact is missing",
    });
    const throwing: LayerMetadata<{ a: string }> = {
      validate: () => {
        throw new Error("a is missing");
      },
      migrate: () => {
        throw new Error("unknown layout");
      },
    };
    expect(readLayerMetadata(throwing, {})).toEqual({
      ok: false,
      reason: "metadata from an older buildpack version: a is missing; migrating it failed: unknown layout",
    });
  });
});

describe("a cached layer with typed metadata", () => {
  test("fill's returned metadata is typed, written, and read back validated on a rebuild", async () => {
    const first = layers();
    const made = await first.cached("out", {
      types,
      key,
      metadata: v2,
      fill: () => ({ artifact: "app.jar", classes: 3 }),
    });
    expectTypeOf(made.metadata).toEqualTypeOf<{ artifact: string; classes: number | undefined }>();
    await first.finish();
    expect(parseLayerToml(await readFile(join(dir, "out.toml"), "utf8"), "x").metadata).toEqual({
      artifact: "app.jar",
      classes: 3,
      "cache-key": key,
    });
    await stripTypes("out");
    let fills = 0;
    const again = await layers().cached("out", {
      types,
      key,
      metadata: v2,
      fill: () => {
        fills++;
        return { artifact: "x", classes: undefined };
      },
    });
    expect(again.state.kind).toBe("restored");
    expect(again.metadata).toEqual({ artifact: "app.jar", classes: 3 });
    expect(fills).toBe(0);
  });

  test("metadata an older version wrote is migrated, and the layer is reused", async () => {
    await writeFile(join(dir, "out.toml"), stringifyToml({ metadata: { jar: "old.jar", "cache-key": key } }));
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(dir, "out"));
    const layer = await layers().cached("out", {
      types,
      key,
      metadata: v2,
      fill: () => ({ artifact: "new.jar", classes: 1 }),
    });
    expect(layer.state.kind).toBe("restored");
    expect(layer.metadata).toEqual({ artifact: "old.jar" });
    expect(lines.join("\n")).toContain("Reusing out (key unchanged, metadata migrated from an older version)");
  });

  test("metadata neither validate nor migrate accepts resets the layer with the reason", async () => {
    await writeFile(join(dir, "out.toml"), stringifyToml({ metadata: { artifact: 7, "cache-key": key } }));
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(dir, "out"));
    await writeFile(join(dir, "out", "stale"), "x");
    const ls = layers();
    expect(await ls.peek("out", { types, key, metadata: v2 })).toEqual({
      kind: "reset",
      reason: "metadata from an older buildpack version: artifact is number 7, not string",
    });
    const layer = await ls.cached("out", {
      types,
      key,
      metadata: v2,
      fill: () => ({ artifact: "new.jar", classes: 1 }),
    });
    expect(layer.state).toEqual({
      kind: "reset",
      reason: "metadata from an older buildpack version: artifact is number 7, not string",
    });
    expect(layer.metadata).toEqual({ artifact: "new.jar", classes: 1 });
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(dir, "out", "stale"))).toBe(false);
    expect(lines.join("\n")).toContain(
      "Rebuilding out: metadata from an older buildpack version: artifact is number 7",
    );
  });

  test("a launch-only layer with refused metadata is filled again instead of reused from the image", async () => {
    // The lifecycle restores a launch-only layer's TOML without its directory.
    await writeFile(join(dir, "run.toml"), stringifyToml({ metadata: { "cache-key": key } }));
    const layer = await layers().cached("run", {
      types: { launch: true, cache: false },
      key,
      metadata: v2,
      fill: () => ({ artifact: "r.jar", classes: undefined }),
    });
    expect(layer.state.kind).toBe("reset");
    expect(layer.reusedFromImage).toBe(false);
    expect(layer.metadata.artifact).toBe("r.jar");
  });

  test("fill that leaves metadata its type refuses fails the build and leaves no layer", async () => {
    const err = await layers()
      .cached("out", {
        types,
        key,
        metadata: v2,
        async fill(l) {
          l.metadata = { classes: 1 } as never;
        },
      })
      .catch((e: Error) => e);
    expect((err as Error).message).toBe("layer out: the metadata its fill left is not valid: artifact is missing");
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  test("a fresh layer's metadata is checked too", async () => {
    const ls = layers();
    const layer = await ls.fresh("f", {
      types: { launch: true },
      metadata: metadataSchema({ n: "number" }),
      fill: () => ({ n: 1 }),
    });
    expectTypeOf(layer.metadata.n).toEqualTypeOf<number>();
    await ls.finish();
    expect(parseLayerToml(await readFile(join(dir, "f.toml"), "utf8"), "x").metadata).toEqual({ n: 1 });
  });
});
