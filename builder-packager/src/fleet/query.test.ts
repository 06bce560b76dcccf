import { describe, expect, test } from "vitest";
import { type FleetInventory, type ImageRecord, INVENTORY_SCHEMA } from "./inventory.js";
import { parseBuildpackFilter, parsePackageFilter, queryFleet, repositoryOf } from "./query.js";
import type { RunImageNow } from "./run-image-now.js";

const D = (c: string) => `sha256:${c.repeat(64)}` as ImageRecord["digest"];

function record(n: number, over: Partial<ImageRecord> = {}): ImageRecord {
  return {
    repository: `reg.io/team/app${n}`,
    tags: ["1"],
    digest: D(String(n % 10)),
    platform: "linux/amd64",
    config: D("c"),
    buildpacks: [{ id: "cnbkit/nodejs", version: n % 2 ? "1.2.0" : "1.4.1" }],
    processes: [{ type: "web", command: ["npm", "start"], default: true }],
    runImage: {
      image: "reg.io/base/run:latest",
      reference: `reg.io/base/run@${D("1")}`,
      topLayer: n % 3 ? D("a") : D("b"),
    },
    rebasable: n === 4 ? { ok: false, why: "image extensions extended its run image" } : { ok: true },
    sbom: { source: "layer", ids: [n % 2 ? "layer:app-old" : "layer:app-new", "layer:run"] },
    signature: n % 2 ? "none" : "verified",
    provenance: n % 2 ? "none" : "verified",
    ...(n === 2 ? { built: { at: "2026-01-05T10:00:00Z", from: "provenance" as const } } : {}),
    ...over,
  };
}

const inventory: FleetInventory = {
  schema: INVENTORY_SCHEMA,
  scannedAt: "2026-11-27T00:00:00Z",
  sources: ["reg.io/team/"],
  key: "sha256:k",
  images: [0, 1, 2, 3, 4, 5].map((n) => record(n)),
  others: [],
  errors: [],
  sboms: {
    "layer:app-old": {
      id: "layer:app-old",
      part: "app",
      packages: [{ name: "lodash", version: "4.17.20", ecosystem: "npm" }],
    },
    "layer:app-new": {
      id: "layer:app-new",
      part: "app",
      packages: [
        { name: "lodash", version: "4.17.21", ecosystem: "npm" },
        { name: "Django_Rest", version: "3.15.0", ecosystem: "pypi" },
        { name: "org.springframework:spring-core", version: "6.2.0-RC1", ecosystem: "maven" },
      ],
    },
    "layer:run": {
      id: "layer:run",
      part: "run-image",
      packages: [{ name: "libssl3t64", version: "3.5.1-1", ecosystem: "deb" }],
    },
  },
};

const names = (hits: { record: ImageRecord }[]) => hits.map((h) => h.record.repository.slice(-4));

describe("queryFleet", () => {
  test("a package in npm's order, with the words of why", async () => {
    const hits = await queryFleet(inventory, { packages: [parsePackageFilter("lodash@<4.17.21")] });
    expect(names(hits)).toEqual(["app1", "app3", "app5"]);
    expect(hits[0]!.why).toEqual(["lodash 4.17.20 (npm)"]);
  });
  test("Debian's relations over the run image's packages; PEP 503 names; Maven's artifact alone and its order", async () => {
    const ssl = await queryFleet(inventory, { packages: [parsePackageFilter("deb:libssl3t64@<< 3.5.4-1")] });
    expect(ssl).toHaveLength(6);
    expect(ssl[0]!.why).toEqual(["libssl3t64 3.5.1-1 (deb, run image)"]);
    expect(names(await queryFleet(inventory, { packages: [parsePackageFilter("django-rest@>=3.15")] }))).toEqual([
      "app0",
      "app2",
      "app4",
    ]);
    expect(await queryFleet(inventory, { packages: [parsePackageFilter("spring-core@[6.2.0,)")] })).toEqual([]);
    expect(
      names(await queryFleet(inventory, { packages: [parsePackageFilter("maven:spring-core@<6.2.0")] })),
    ).toHaveLength(3);
  });
  test("kinds combine with AND, values of one kind with OR", async () => {
    const hits = await queryFleet(inventory, {
      packages: [parsePackageFilter("lodash@<4.17.21"), parsePackageFilter("django-rest")],
      unsigned: true,
    });
    expect(names(hits)).toEqual(["app1", "app3", "app5"]);
    expect(hits[0]!.why).toEqual(["lodash 4.17.20 (npm)", "unsigned"]);
  });
  test("buildpack ranges, not rebasable, built before a date", async () => {
    expect(names(await queryFleet(inventory, { buildpacks: [parseBuildpackFilter("cnbkit/nodejs@<1.4.0")] }))).toEqual([
      "app1",
      "app3",
      "app5",
    ]);
    expect((await queryFleet(inventory, { notRebasable: true }))[0]!.why).toEqual([
      "not rebasable: image extensions extended its run image",
    ]);
    expect(names(await queryFleet(inventory, { builtBefore: new Date("2026-02-01") }))).toEqual(["app2"]);
  });
  test("--behind asks what the run image is now, once per name and platform", async () => {
    const asked: string[] = [];
    const now: RunImageNow = {
      topLayer: async (ref, platform) => {
        asked.push(`${ref} ${platform}`);
        return { digest: D("9"), topLayer: D("b") };
      },
    };
    const hits = await queryFleet(inventory, { runImage: "reg.io/base/run:latest", behind: true }, now);
    expect(names(hits)).toEqual(["app1", "app2", "app4", "app5"]);
    expect(hits[0]!.why[0]).toMatch(/^run image behind: reg\.io\/base\/run:latest is sha256:9999999999/);
  });
  test("bad ranges and ecosystems are one line", () => {
    expect(() => parsePackageFilter("deb:openssl@<< x")).toThrow(
      '--package deb:openssl@<< x: "<< x" is not Debian relations',
    );
    expect(() => parsePackageFilter("cargo:serde@1")).toThrow('--package cargo:serde@1: unknown ecosystem "cargo"');
    expect(() => parseBuildpackFilter("cnbkit/nodejs@>>1")).toThrow(/is not an npm semver range/);
  });
  test("scoped npm names keep their @", () => {
    expect(parsePackageFilter("@types/node@^20").name).toBe("@types/node");
    expect(repositoryOf("reg.io:5000/base/run:latest@sha256:ab")).toBe("reg.io:5000/base/run");
  });
});
