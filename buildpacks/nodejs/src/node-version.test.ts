import { describe, expect, test } from "vitest";
import { describeNodeVersionRequest, resolveNodeVersion, toSemverRange } from "./node-version.js";

const base = { env: {}, defaultRange: "24.*", latestLtsMajor: 24 };

describe("resolveNodeVersion", () => {
  test("BP_NODE_VERSION wins over every file", () => {
    const r = resolveNodeVersion({ ...base, env: { BP_NODE_VERSION: "22" }, enginesNode: "24.x", nvmrc: "20" });
    expect(r).toEqual({ range: "22", source: "BP_NODE_VERSION", raw: "22" });
  });
  test("engines.node beats .nvmrc and .node-version", () => {
    const r = resolveNodeVersion({ ...base, enginesNode: ">=22 <25", nvmrc: "20", nodeVersionFile: "18" });
    expect(r.source).toBe("package.json engines.node");
    expect(r.range).toBe(">=22 <25");
  });
  test(".nvmrc aliases expand", () => {
    expect(resolveNodeVersion({ ...base, nvmrc: "lts/*\n" }).range).toBe("24.x");
    expect(resolveNodeVersion({ ...base, nvmrc: "lts/jod" }).range).toBe("22.x");
    expect(resolveNodeVersion({ ...base, nvmrc: "lts/Krypton" }).range).toBe("24.x");
    expect(resolveNodeVersion({ ...base, nvmrc: "node" }).range).toBe("*");
    expect(resolveNodeVersion({ ...base, nvmrc: "v24" }).range).toBe("24");
    expect(resolveNodeVersion({ ...base, nvmrc: "# comment\nv22.3.1\n" }).range).toBe("22.3.1");
  });
  test(".node-version is used when nothing else is", () => {
    const r = resolveNodeVersion({ ...base, nodeVersionFile: "22.11.0\n" });
    expect(r).toEqual({ range: "22.11.0", source: ".node-version", raw: "22.11.0" });
  });
  test("an empty .nvmrc falls through to the default", () => {
    expect(resolveNodeVersion({ ...base, nvmrc: "\n\n" })).toEqual({ range: "24.*", source: "default", raw: "24.*" });
  });
  test("bad values fail with the place named", () => {
    expect(() => resolveNodeVersion({ ...base, enginesNode: 24 })).toThrow(/package.json: engines.node must be/);
    expect(() => resolveNodeVersion({ ...base, nvmrc: "lts/nope" })).toThrow(/\.nvmrc: unknown LTS codename "nope"/);
    expect(() => toSemverRange("banana", "BP_NODE_VERSION", 24)).toThrow(
      /BP_NODE_VERSION: "banana" is not a Node.js version/,
    );
  });
  test("the log line names the source and that BP_NODE_VERSION is unset", () => {
    const r = resolveNodeVersion({ ...base, enginesNode: "24.x" });
    expect(describeNodeVersionRequest(r)).toBe('package.json engines.node: "24.x"  (BP_NODE_VERSION unset)');
    expect(describeNodeVersionRequest(resolveNodeVersion({ ...base, nvmrc: "lts/*" }))).toContain('"lts/*" → "24.x"');
  });
});
