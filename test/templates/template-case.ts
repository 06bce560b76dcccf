/**
 * The template check both template suites run (test/templates for the extension template,
 * test/long for the others, which test/packages/install.test.ts also scaffolds, installs,
 * tests and packages from the published packages): scaffolded into a temp dir outside the
 * repo, then `npm install` (from the npm registry), `npm test`, `npm run typecheck` and
 * `npm run package` (the cnbkit CLI bundled by scripts/build-cli.mjs, linked by npm), and the
 * .cnb read back with skopeo. NODE_EXTRA_CA_CERTS and the proxy settings of this process are
 * passed through to npm.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished } from "vitest";
import { scaffold, type TemplateName } from "../../builder-packager/src/scaffold/index.js";

const repo = join(import.meta.dirname, "..", "..");

/** One template and what its scaffold must give: the .cnb files `npm run package` writes, and its test count. */
export interface TemplateCase {
  template: TemplateName;
  id: string;
  /** .cnb path (relative to the project) → the buildpack id its label names. */
  packaged: Record<string, string>;
  tests: number;
}

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

/** Bundles the CLI the templates' `npm run package` links (run once, in beforeAll). */
export function bundleCliForTemplates(): void {
  execFileSync(process.execPath, [join(repo, "scripts", "build-cli.mjs")], { stdio: "inherit" });
}

/** Scaffolds `c.template`, installs, tests, typechecks and packages it, and reads each .cnb's label. */
export async function checkTemplate({ template, id, packaged, tests }: TemplateCase): Promise<void> {
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
}
