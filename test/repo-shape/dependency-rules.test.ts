/**
 * The repository's dependency rules (.dependency-cruiser.cjs, `npm run lint:cycles`) on small
 * made-up trees: one with an import each rule forbids, which must fail naming every rule, and
 * one with the imports the rules allow (tests and tools using testing/ folders and tools/),
 * which must pass (a framework folder importing lower floors, its test the harness above it).
 * Guards the rules against a regex that silently matches nothing.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CONFIG = join(REPO, ".dependency-cruiser.cjs");
const DEPCRUISE = join(REPO, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

/**
 * Writes `files` (path → what it imports) in a temp dir and runs depcruise there with the
 * repo's rules, as `npm run lint:cycles` does: its exit status and its violations as
 * `rule: from -> to` (a cycle as its first step).
 */
async function cruise(files: Record<string, string[]>): Promise<{ status: number | null; violations: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-depcruise-"));
  try {
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "ESNext" } }));
    for (const [file, imports] of Object.entries(files)) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      const body = imports.map((m, i) => `import * as m${i} from "${m}";\nexport const u${i} = m${i};\n`).join("");
      await writeFile(join(dir, file), `${body}export const x = 1;\n`);
    }
    const tops = [...new Set(Object.keys(files).map((f) => f.split("/")[0] as string))];
    const r = spawnSync(process.execPath, [DEPCRUISE, ...tops, "--config", CONFIG], { cwd: dir, encoding: "utf8" });
    if (r.stderr.trim()) throw new Error(`depcruise: ${r.stderr}`);
    const violations = [...r.stdout.matchAll(/^\s*error ([a-z-]+): (\S+) →\s+(\S+)/gm)].map(
      ([, rule, from, to]) => `${rule}: ${from} -> ${to}`,
    );
    return { status: r.status, violations };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("each rule fails on an import it forbids", async () => {
  const { status, violations } = await cruise({
    "buildpacks/a/src/index.ts": ["../../b/src/index.js", "../../../framework/src/log/index.js"],
    "buildpacks/b/src/index.ts": ["./testing/fake.js"],
    "buildpacks/b/src/testing/fake.ts": [],
    "framework/src/log/index.ts": ["../../../builder-packager/src/cli/index.js"],
    "framework/src/cnb-files/read.ts": ["../packaging/index.js", "../sbom/index.js"],
    "framework/src/packaging/index.ts": [],
    "framework/src/sbom/index.ts": [],
    "framework/src/newcomer/index.ts": ["../log/index.js"],
    "builder-packager/src/cli/index.ts": ["../../../tools/x/y.js", "../oci/inner.js"],
    "builder-packager/src/oci/inner.ts": [],
    "tools/x/y.ts": ["../../buildpacks/b/src/testing/fake.js"],
    "tools/x/cycle-a.ts": ["./cycle-b.js"],
    "tools/x/cycle-b.ts": ["./cycle-a.js"],
    "scripts/z.mjs": ["../builders/r/thing.mjs"],
    "builders/r/thing.mjs": [],
  });
  expect(status).not.toBe(0);
  expect(violations.sort()).toEqual(
    [
      "buildpack-framework-by-name: buildpacks/a/src/index.ts -> framework/src/log/index.ts",
      "buildpack-uses-only-framework: buildpacks/a/src/index.ts -> buildpacks/b/src/index.ts",
      "builders-hold-no-code: scripts/z.mjs -> builders/r/thing.mjs",
      "framework-stands-alone: framework/src/log/index.ts -> builder-packager/src/cli/index.ts",
      "framework-no-arrow-up: framework/src/cnb-files/read.ts -> framework/src/packaging/index.ts",
      "framework-no-arrow-up: framework/src/cnb-files/read.ts -> framework/src/sbom/index.ts",
      "framework-folder-on-a-floor: framework/src/newcomer/index.ts -> framework/src/log/index.ts",
      "no-circular: tools/x/cycle-a.ts -> tools/x/cycle-b.ts",
      "packager-uses-no-buildpack-or-tool: builder-packager/src/cli/index.ts -> tools/x/y.ts",
      "stage-through-index: builder-packager/src/cli/index.ts -> builder-packager/src/oci/inner.ts",
      "testing-only-from-tests-and-tools: buildpacks/b/src/index.ts -> buildpacks/b/src/testing/fake.ts",
      "tools-use-no-buildpack: tools/x/y.ts -> buildpacks/b/src/testing/fake.ts",
    ].sort(),
  );
}, 300_000);

test("tests, test support and tools may use testing/ folders and tools/", async () => {
  const { status, violations } = await cruise({
    "buildpacks/a/src/index.ts": ["./util.js"],
    "buildpacks/a/src/util.ts": [],
    "buildpacks/a/src/index.test.ts": ["./testing/fake.js", "../../../tools/x/y.js", "./index.js"],
    "buildpacks/a/src/testing/fake.ts": ["../../../../tools/x/y.js", "../util.js"],
    "tools/x/y.ts": ["../../builder-packager/src/oci/index.js"],
    "builder-packager/src/oci/index.ts": [],
    "framework/src/contract/main.ts": ["../log/index.js", "../bundle/index.js"],
    "framework/src/contract/main.test.ts": ["../testing/index.js", "./main.js"],
    "framework/src/testing/index.ts": ["../contract/main.js"],
    "framework/src/log/index.ts": [],
    "framework/src/bundle/index.ts": [],
    "test/e2e/app.test.ts": ["../../buildpacks/a/src/testing/fake.js", "../../tools/x/y.js"],
    "bench/b.ts": ["../buildpacks/a/src/testing/fake.js"],
  });
  expect(violations).toEqual([]);
  expect(status).toBe(0);
}, 300_000);
