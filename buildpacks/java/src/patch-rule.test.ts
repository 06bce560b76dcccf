import { patchRecord } from "@cnbkit/framework/dependencies";
import { describe, expect, test } from "vitest";
import { JRE_PATCH_RULE } from "./patch-rule.js";

describe("JRE_PATCH_RULE", () => {
  test("a JRE update keeps the startup cache layer, stale, instead of refusing the image", () => {
    // A JVM in auto mode starts without another build's cache, and the process runs from the
    // cds layer's application.jar, so the layer must stay; a rebuild trains a new cache.
    const rec = patchRecord({ id: "jre", version: "17.0.19+10", sha256: "s" }, "amd64", JRE_PATCH_RULE);
    expect(rec).toMatchObject({ same: "major", line: "17" });
    expect(rec.derived).toEqual([expect.objectContaining({ action: "stale", layer: "cds" })]);
    expect(rec.derived?.[0]?.what).toMatch(/trained on the old JVM build/);
    expect(rec.derived?.[0]?.why).toMatch(/ignores it.*slower until a build trains a new one/);
  });
});
