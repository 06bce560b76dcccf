/**
 * The sh a `bindingType` or `processEnv` rule compiles to, run by dash against temp platform
 * dirs: it decides the plain cases itself and hands every case Node would word (a broken
 * binding) or read differently (a type sh cannot compare exactly) to the fallback.
 * test/detect-rules/detect-sh.test.ts checks the same answers against the TypeScript detect.
 */
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DetectRulesJson } from "@cnbkit/framework/packaging";
import { afterAll, beforeAll, expect, test } from "vitest";
import { checkRulesJson } from "./detect-rules.js";
import { detectScript } from "./detect-sh.js";

const RULES: DetectRulesJson = {
  format: "cnbkit.detect-rules/1",
  rules: [
    { when: { bindingType: "ca-certificates" }, outcome: { kind: "pass", plan: "# plan\n" } },
    { when: { bindingType: "a.b" }, outcome: { kind: "fail", reason: "a.b" } },
    { when: { processEnv: "HELPER_ON" }, outcome: { kind: "code" } },
  ],
  otherwise: { kind: "fail", reason: "no binding" },
};

let work: string;
let script: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-detect-sh-unit-"));
  script = join(work, "detect");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: sh parameter expansion
  await writeFile(script, detectScript(checkRulesJson(RULES, "test"), { fallback: '"${0%/*}/node-detect"' }));
  // Stands in for the Node detect: exit 7 says "handed to Node".
  await writeFile(join(work, "node-detect"), "#!/bin/sh\nexit 7\n");
  await chmod(script, 0o755);
  await chmod(join(work, "node-detect"), 0o755);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

type Tree = Record<string, string | { symlink: string } | { dir: true }>;

/** A fresh platform dir holding `tree` (paths relative to it); returns the script's answer. */
async function detect(tree: Tree, env: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(work, "case-"));
  const platform = join(root, "platform");
  await mkdir(platform);
  for (const [rel, e] of Object.entries(tree)) {
    const p = join(platform, rel);
    await mkdir(join(p, ".."), { recursive: true });
    if (typeof e === "string") await writeFile(p, e);
    else if ("dir" in e) await mkdir(p, { recursive: true });
    else await symlink(e.symlink, p);
  }
  const plan = join(root, "plan.toml");
  const r = spawnSync("/bin/sh", [script, platform, plan], { cwd: root, env: { PATH: "/usr/bin:/bin", ...env } });
  const out = r.stdout.toString().trim();
  if (r.status === 0) return "pass";
  if (r.status === 7) return "node";
  return r.status === 100 ? out : `exit ${r.status}: ${r.stderr}`;
}

const ca = (type: string): Tree => ({ "bindings/certs/type": type, "bindings/certs/ca.pem": "x" });

test("checkRulesJson takes both kinds and refuses a type sh could not compare", () => {
  const bad = (when: unknown) => () =>
    checkRulesJson({ ...RULES, rules: [{ when, outcome: { kind: "code" } }] }, "b.cjs");
  expect(bad({ bindingType: "a b" })).toThrow(/^b\.cjs: detect rules: rule 1: bindingType "a b" is not ASCII/);
  expect(bad({ bindingType: "" })).toThrow(/bindingType ""/);
  expect(bad({ processEnv: "A-B" })).toThrow(/^b\.cjs: detect rules: rule 1: processEnv "A-B" is not a variable name/);
});

test("a binding of the type passes, compared as trimmed and case-insensitive", async () => {
  expect(await detect({})).toBe("Skipped: no binding");
  expect(await detect(ca("ca-certificates\n"))).toBe("pass");
  expect(await detect(ca("CA-Certificates"))).toBe("pass");
  expect(await detect(ca("dependency-mirror\n"))).toBe("Skipped: no binding");
  // "." is a literal in the case pattern.
  expect(await detect(ca("aXb"))).toBe("Skipped: no binding");
  expect(await detect(ca("A.B\n"))).toBe("Skipped: a.b");
  // Dot dirs are not bindings; other files beside them are skipped, as readBindings does.
  expect(await detect({ "bindings/.certs/type": "ca-certificates", "bindings/README": "" })).toBe(
    "Skipped: no binding",
  );
  // Kubernetes' "..data" links are not stat'ed by readBindings, so a dangling one is fine.
  expect(await detect({ ...ca("ca-certificates"), "bindings/certs/..data": { symlink: "gone" } })).toBe("pass");
  expect(await detect({ "real/type": "ca-certificates\n", "bindings/certs": { symlink: "../real" } })).toBe("pass");
});

test("SERVICE_BINDING_ROOT, when non-empty, is where bindings are", async () => {
  expect(await detect(ca("ca-certificates"), { SERVICE_BINDING_ROOT: "/nonexistent/cnbkit" })).toBe(
    "Skipped: no binding",
  );
  expect(await detect(ca("ca-certificates"), { SERVICE_BINDING_ROOT: "" })).toBe("pass");
  expect(await detect({ "sb/x/type": "ca-certificates" }, { SERVICE_BINDING_ROOT: "platform/sb" })).toBe("pass");
});

test("whatever readBindings would throw on, or sh cannot compare exactly, goes to Node", async () => {
  expect(await detect(ca(" ca-certificates"))).toBe("node");
  expect(await detect(ca("ca-certificates\r\n"))).toBe("node");
  expect(await detect(ca("ca-certificates\n\n"))).toBe("node");
  expect(await detect(ca("\nca-certificates"))).toBe("node");
  expect(await detect(ca("ca-certıficates"))).toBe("node");
  expect(await detect({ "bindings/certs/ca.pem": "x" })).toBe("node");
  expect(await detect({ "bindings/certs/type": { dir: true } })).toBe("node");
  expect(await detect({ ...ca("other"), "bindings/certs/.key": { symlink: "gone" } })).toBe("node");
  expect(await detect({ "bindings/gone": { symlink: "nowhere" } })).toBe("node");
  expect(await detect({ bindings: "a file" })).toBe("node");
});

test("processEnv reads the process env only, and only a non-empty value holds", async () => {
  expect(await detect({}, { HELPER_ON: "" })).toBe("Skipped: no binding");
  expect(await detect({}, { HELPER_ON: " " })).toBe("node");
  expect(await detect({ "env/HELPER_ON": "true" })).toBe("Skipped: no binding");
  expect(await detect(ca("ca-certificates"), { HELPER_ON: "bad" })).toBe("pass");
});
