import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dependency } from "@cnbkit/framework";
import { download } from "@cnbkit/framework/dependencies";
import { createLogger } from "@cnbkit/framework/log";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { buildWheels } from "./wheel.js";

let dir: string;
let lines: string[];
let layers: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-py-wheels-"));
  layers = join(dir, "layers");
  mkdirSync(layers);
  lines = [];
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A wheel made with Python's zipfile: a package and its dist-info. */
function wheel(sha256?: string): Dependency {
  const src = join(dir, "src");
  mkdirSync(join(src, "tinypkg"), { recursive: true });
  mkdirSync(join(src, "tinypkg-1.0.dist-info"), { recursive: true });
  writeFileSync(join(src, "tinypkg", "__init__.py"), "VALUE = 1\n");
  writeFileSync(join(src, "tinypkg-1.0.dist-info", "METADATA"), "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n");
  const file = join(dir, "tinypkg-1.0-py3-none-any.whl");
  const zipped = spawnSync("python3", ["-m", "zipfile", "-c", file, "tinypkg", "tinypkg-1.0.dist-info"], { cwd: src });
  expect(zipped.status, String(zipped.stderr)).toBe(0);
  const actual = createHash("sha256").update(readFileSync(file)).digest("hex");
  return { id: "tinypkg", version: "1.0", uri: `file://${file}`, sha256: sha256 ?? actual, cpes: [], licenses: [] };
}

function context() {
  const log = createLogger({ sink: (l) => lines.push(l.trim()), color: false, env: {} });
  return {
    log,
    layers: { path: layers },
    dependencies: {
      download: (dep: Dependency, dest: string, o: { log?: typeof log } = {}) =>
        download(dep, dest, { env: {}, log: o.log ?? log }),
    },
  } as unknown as Parameters<typeof buildWheels>[0];
}

describe("buildWheels", () => {
  test("a prefetched wheel is moved in when taken, its lines written then, nothing left in the layers dir", async () => {
    const wheels = buildWheels(context());
    const dep = wheel();
    wheels.prefetch(dep);
    lines.push("CPython runtime");
    const into = join(layers, "pip", "site-packages");
    await wheels.unpack(dep, into);
    expect(readdirSync(into).sort()).toEqual(["tinypkg", "tinypkg-1.0.dist-info"]);
    expect(readFileSync(join(into, "tinypkg", "__init__.py"), "utf8")).toBe("VALUE = 1\n");
    expect(lines[0]).toBe("CPython runtime");
    expect(lines[1]).toMatch(/^Copying tinypkg 1\.0 from file:\/\//);
    expect(readdirSync(layers)).toEqual(["pip"]);
  });

  test("a wheel not prefetched is unpacked when asked, through a scratch dir that goes", async () => {
    const wheels = buildWheels(context());
    const into = join(layers, "tools");
    await wheels.unpack(wheel(), into);
    expect(readdirSync(into).sort()).toEqual(["tinypkg", "tinypkg-1.0.dist-info"]);
    expect(readdirSync(layers)).toEqual(["tools"]);
  });

  test("a prefetch that fails (checksum) fails the step that takes it; discard leaves nothing behind", async () => {
    const bad = wheel("0".repeat(64));
    const taken = buildWheels(context());
    taken.prefetch(bad);
    await expect(taken.unpack(bad, join(layers, "x"))).rejects.toThrow(/sha256/);
    // A build that fails before a step takes its wheel: discard settles it, with no unhandled rejection.
    const dropped = buildWheels(context());
    dropped.prefetch(bad);
    dropped.prefetch(wheel());
    await dropped.discard();
    expect(readdirSync(layers).filter((n) => n.startsWith(".wheel-"))).toEqual([]);
  });
});
