/**
 * Every template, as a user gets it: scaffolded into a temp dir outside the repo, then
 * `npm install` (from the npm registry), `npm test`, `npm run typecheck` and
 * `npm run package` (the cnbkit CLI bundled by scripts/build-cli.mjs, linked by npm), and the
 * .cnb read back with skopeo. NODE_EXTRA_CA_CERTS and the proxy settings of this process
 * are passed through to npm.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { scaffold, type TemplateName } from "../../builder-packager/src/scaffold/index.js";

const repo = join(import.meta.dirname, "..", "..");

function npm(cwd: string, ...args: string[]): string {
  const r = spawnSync("npm", [...args, "--no-audit", "--no-fund"], { cwd, env: process.env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} in ${cwd} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** The buildpackage label of a .cnb, read by skopeo. */
function buildpackageLabel(cnb: string): { id: string; version: string } {
  const out = execFileSync("skopeo", ["inspect", `oci-archive:${cnb}`], { encoding: "utf8" });
  return JSON.parse(JSON.parse(out).Labels["io.buildpacks.buildpackage.metadata"]);
}

beforeAll(() => {
  execFileSync(process.execPath, [join(repo, "scripts", "build-cli.mjs")], { stdio: "inherit" });
});

const cases: { template: TemplateName; id: string; packaged: Record<string, string>; tests: number }[] = [
  { template: "buildpack", id: "acme/hello", packaged: { "acme_hello.cnb": "acme/hello" }, tests: 3 },
  { template: "composite", id: "acme/stack", packaged: { "acme_stack.cnb": "acme/stack" }, tests: 3 },
  {
    template: "builder",
    id: "acme/builder",
    packaged: { "out/ca-certificates.cnb": "acme/ca-certificates", "out/org-defaults.cnb": "acme/org-defaults" },
    tests: 18,
  },
  // An image extension: its package carries the same buildpackage metadata label (pack's finalizeExtensionImage).
  { template: "extension", id: "acme/apt", packaged: { "acme_apt.cnb": "acme/apt" }, tests: 3 },
];

describe.each(cases)("template $template", ({ template, id, packaged, tests }) => {
  test("installs, passes its tests, typechecks and packages", { timeout: 600_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), "cnbkit-template-"));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const dir = join(root, template);
    await scaffold({ template, dir, id });
    npm(dir, "install");
    const out = npm(dir, "test");
    expect(out.replace(/\x1b\[[0-9;]*m/g, "")).toMatch(new RegExp(`Tests\\s+${tests} passed \\(${tests}\\)`));
    npm(dir, "run", "typecheck");
    npm(dir, "run", "package");
    for (const [file, bpId] of Object.entries(packaged)) {
      const label = buildpackageLabel(join(dir, file));
      expect([label.id, label.version]).toEqual([bpId, "0.1.0"]);
    }
  });
});
