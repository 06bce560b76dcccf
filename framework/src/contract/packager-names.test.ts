import { describe, expect, it } from "vitest";
import { detectRules, detectRulesJson as packagerDetectRulesJson } from "./detect-rules.js";
import { detectRulesJson, isRuleDetect } from "./packager-names.js";

describe("the lifecycle namespace's deprecated packager names", () => {
  it("answer as the packaging entry's (detect-rules.ts) do", () => {
    const detect = detectRules({
      rules: [{ when: { file: "Procfile" }, outcome: { pass: { provides: [{ name: "web" }] } } }],
      otherwise: { fail: "no Procfile" },
    });
    expect(isRuleDetect(detect)).toBe(true);
    expect(isRuleDetect(() => undefined)).toBe(false);
    expect(detectRulesJson(detect.rules)).toEqual(packagerDetectRulesJson(detect.rules));
  });
});
