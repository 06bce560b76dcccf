import { parseBuildPlan, stringifyBuildPlan } from "@cnbkit/framework/cnb-files";
import { runDetect } from "@cnbkit/framework/testing";
import { expect, test } from "vitest";
import {
  type DetectCondition,
  type DetectOutcome,
  detectRules,
  detectRulesJson,
  isRuleDetect,
} from "./detect-rules.js";
import { buildpack } from "./main.js";

const pass: DetectOutcome = { pass: { provides: [{ name: "x" }] } };

test("bad rules are refused where they are declared, naming the rule", () => {
  const bad = (when: DetectCondition) => () =>
    detectRules({ rules: [{ when, outcome: pass }], otherwise: { fail: "no" } });
  expect(bad({ file: "../up" })).toThrow(/^detect rule 1: path "..\/up" must be relative to the app dir/);
  expect(bad({ anyFile: ["ok", "/abs"] })).toThrow(/path "\/abs" must be relative/);
  expect(bad({ allFiles: ["a//b"] })).toThrow(/empty segments/);
  expect(bad({ anyFile: [] })).toThrow(/must be one of file, anyFile, allFiles, suffix, env, envPrefix, not/);
  expect(bad({ envPrefix: "" })).toThrow(/^detect rule 1: envPrefix "" is not the start of a variable name/);
  expect(bad({ envPrefix: "BPE-" })).toThrow(/envPrefix "BPE-"/);
  expect(bad({ suffix: ".." })).toThrow(/^detect rule 1: suffix ".." must be a name ending/);
  expect(bad({ suffix: "a/b" })).toThrow(/suffix "a\/b"/);
  expect(bad({ not: { env: "A-B" } })).toThrow(/^detect rule 1: not: env "A-B" is not a variable name/);
  expect(() => detectRules({ rules: [{ when: { file: "a" }, outcome: "code" }], otherwise: { fail: "no" } })).toThrow(
    'detect rules: an outcome is "code" but no code function is given',
  );
  expect(() => detectRules({ rules: [], otherwise: { fail: "two\nlines" } })).toThrow(
    "detect rules: otherwise: fail reason must be one non-empty line",
  );
  // The plan is baked into sh as text: plain data only, names not empty.
  const plan = (p: DetectOutcome) => () =>
    detectRules({ rules: [{ when: { file: "a" }, outcome: p }], otherwise: pass });
  expect(plan({ pass: { requires: [{ name: "x", metadata: { at: new Date(0) } }] } })).toThrow(
    /^detect rule 1: the plan must have non-empty string names and metadata of plain data/,
  );
  expect(plan({ pass: { provides: [{ name: "" }] } })).toThrow(/^detect rule 1: the plan must have non-empty/);
});

test("rules decide in order; env reads <platform>/env over the process env, verbatim", async () => {
  const detect = detectRules({
    rules: [
      { when: { env: "MODE", equals: "code" }, outcome: "code" },
      { when: { allFiles: ["a", "b"] }, outcome: pass },
      { when: { env: "ON" }, outcome: { pass: {} } },
    ],
    otherwise: { fail: "nothing here" },
    code: (ctx) => ctx.fail("from code"),
  });
  const bp = buildpack({ detect, build: () => undefined });
  expect(isRuleDetect(bp.detect)).toBe(true);
  expect((await runDetect(bp, { app: { a: "", b: "" } })).plans).toEqual([{ provides: [{ name: "x" }], requires: [] }]);
  expect((await runDetect(bp, { app: { a: "" } })).stdout).toEqual(["  Skipped: nothing here"]);
  expect((await runDetect(bp, { env: { MODE: "code" } })).result).toEqual({ kind: "fail", reason: "from code" });
  // A platform env file is read verbatim: "code\n" is not "code".
  expect((await runDetect(bp, { platformEnv: { MODE: "code\n", ON: "" }, env: { ON: "1" } })).passed).toBe(false);
  expect((await runDetect(bp, { env: { ON: "1" } })).passed).toBe(true);
});

test("envPrefix holds when some setting of that prefix is non-empty, a platform env file over the process env", async () => {
  const detect = detectRules({
    rules: [{ when: { envPrefix: "BPE_" }, outcome: pass }],
    otherwise: { fail: "no BPE_*" },
  });
  const bp = buildpack({ detect, build: () => undefined });
  expect((await runDetect(bp, { env: { BPE_X: "1" } })).passed).toBe(true);
  expect((await runDetect(bp, { platformEnv: { BPE_DEFAULT_Y: "\n" } })).passed).toBe(true);
  expect((await runDetect(bp, { env: { BPE: "1", XBPE_Y: "1", BPE_Z: "" } })).passed).toBe(false);
  // The empty file is the setting, whatever the process env says.
  expect((await runDetect(bp, { platformEnv: { BPE_X: "" }, env: { BPE_X: "1" } })).passed).toBe(false);
});

test("bindingType reads the bindings as byType does; processEnv a non-empty process env value", async () => {
  const detect = detectRules({
    rules: [
      { when: { bindingType: "ca-certificates" }, outcome: pass },
      { when: { processEnv: "HELPER" }, outcome: { pass: {} } },
    ],
    otherwise: { fail: "neither" },
  });
  const bp = buildpack({ detect, build: () => undefined });
  const ca = (type: string) => ({ certs: { type, entries: { "ca.pem": "x" } } });
  expect((await runDetect(bp, { bindings: ca(" CA-Certificates\n") })).plans).toEqual([
    { provides: [{ name: "x" }], requires: [] },
  ]);
  expect((await runDetect(bp, { bindings: ca("dependency-mirror") })).passed).toBe(false);
  expect(
    (await runDetect(bp, { bindings: ca("ca-certificates"), env: { SERVICE_BINDING_ROOT: "/nonexistent" } })).passed,
  ).toBe(false);
  expect((await runDetect(bp, { env: { HELPER: "x" } })).plans).toEqual([{ provides: [], requires: [] }]);
  // An empty value does not hold.
  expect((await runDetect(bp, { env: { HELPER: "" } })).passed).toBe(false);
  const bad = (when: DetectCondition) => () => detectRules({ rules: [{ when, outcome: pass }], otherwise: pass });
  expect(bad({ bindingType: "a b" })).toThrow(/^detect rule 1: bindingType "a b" must be ASCII letters, digits/);
  expect(bad({ bindingType: "" })).toThrow(/bindingType ""/);
  expect(bad({ processEnv: "A=B" })).toThrow(/^detect rule 1: processEnv "A=B" is not a variable name/);
});

test("the packager's view carries each pass plan as the TOML detect writes", () => {
  const detect = detectRules({
    rules: [{ when: { not: { file: "x" } }, outcome: { pass: {}, or: [{ requires: [{ name: "y" }] }] } }],
    otherwise: "code",
    code: (ctx) => ctx.pass(),
  });
  const plans = [
    { provides: [], requires: [] },
    { provides: [], requires: [{ name: "y" }] },
  ];
  const json = detectRulesJson(detect.rules);
  expect(parseBuildPlan((json.rules[0]!.outcome as { plan: string }).plan, "plan.toml")).toEqual(plans);
  expect(json).toEqual({
    format: "cnbkit.detect-rules/1",
    rules: [
      {
        when: { not: { file: "x" } },
        outcome: { kind: "pass", plan: stringifyBuildPlan(plans) },
      },
    ],
    otherwise: { kind: "code" },
  });
});
