/**
 * Conflicting or malformed build flags stop `buildApp` before it unpacks or writes anything:
 * one line naming the flags, and the output is not created.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type BuildOptions, buildApp } from "../index.js";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-build-flags-"));
  await mkdir(join(work, "app"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test.each<[string, Partial<BuildOptions>, RegExp]>([
  [
    "--cache-image with --cache-dir",
    { cacheImage: "127.0.0.1:5000/cache", cacheDir: "/nowhere" },
    /^--cache-image and --cache-dir both name the build cache; give one of them$/,
  ],
  [
    "a layout --cache-image",
    { cacheImage: "oci:/tmp/cache" },
    /^--cache-image oci:\/tmp\/cache: the lifecycle keeps its cache in a registry; give a registry reference/,
  ],
  [
    "a --tag that is the output",
    { tags: ["OUT"] },
    /^--tag .*out:latest is the --output already; give another reference$/,
  ],
  ["a bad --tag", { tags: ["oci:"] }, /^image reference "oci:": oci: needs a directory/],
  [
    "a bad --default-process",
    { defaultProcess: "web server" },
    /^--default-process "web server" is not a process type \(letters, digits, '\.', '_', '-'\)$/,
  ],
  ["a negative creation time", { creationTime: -1 }, /^creation time -1 is not whole seconds since the epoch$/],
  [
    "--phases with --trust-builder",
    { phases: true, trustBuilder: true },
    /^--phases and --trust-builder ask for opposite things/,
  ],
  [
    "--platform-api for a trusted builder's creator",
    { platformApi: "0.13", trustBuilder: true },
    /^--platform-api applies to phase-by-phase builds, and this one runs the creator \(trusted builder\); add --phases$/,
  ],
])("%s is one line, and nothing is written", async (_name, flags, message) => {
  const output = `oci:${join(work, "out")}:latest`;
  const tags = flags.tags?.map((t) => (t === "OUT" ? output : t));
  const opts = { appDir: join(work, "app"), builder: join(work, "no-builder"), output, ...flags };
  await expect(buildApp({ ...opts, ...(tags ? { tags } : {}), cnbkitCache: join(work, "cache") })).rejects.toThrow(
    message,
  );
  expect(existsSync(join(work, "out"))).toBe(false);
  expect(existsSync(join(work, "cache"))).toBe(false);
});
