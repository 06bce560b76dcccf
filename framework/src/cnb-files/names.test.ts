import { describe, expect, test } from "vitest";
import { CnbError } from "../errors/index.js";
import { validateBuildpackId, validateEnvName, validateLayerName, validateProcessType } from "./names.js";

describe("names", () => {
  test("valid names come back unchanged", () => {
    expect(validateBuildpackId("io.buildpacks.ruby", "w")).toBe("io.buildpacks.ruby");
    expect(validateBuildpackId("acme/node-2", "w")).toBe("acme/node-2");
    expect(validateLayerName("node_modules", "w")).toBe("node_modules");
    expect(validateLayerName("node.v24", "w")).toBe("node.v24");
    expect(validateProcessType("web_1.x-y", "w")).toBe("web_1.x-y");
    expect(validateEnvName("_JAVA_OPTIONS", "w")).toBe("_JAVA_OPTIONS");
  });

  test.each([
    [() => validateBuildpackId("", "bp: id"), "bp: id must not be empty"],
    [() => validateBuildpackId("a b", "bp: id"), `bp: id "a b" may only contain letters, digits, '.', '/' and '-'`],
    [() => validateBuildpackId("..", "bp: id"), `bp: id ".." must contain a letter or digit`],
    [
      () => validateBuildpackId("sbom", "bp: id"),
      `bp: id "sbom" is reserved (app, config, generated and sbom are not allowed)`,
    ],
    [() => validateBuildpackId(7, "bp: id"), "bp: id must be a string, not integer 7"],
    [() => validateLayerName(".hidden", "l"), `l ".hidden" must not start with '.'`],
    [() => validateLayerName("a\0b", "l"), `l "a\\u0000b" must not contain a NUL character`],
    [() => validateProcessType("we b", "p"), `p "we b" may only contain letters, digits, '.', '_' and '-'`],
    [
      () => validateEnvName("1PATH", "e"),
      `e "1PATH" is not a valid environment variable name (letters, digits and '_', not starting with a digit)`,
    ],
    [
      () => validateEnvName("A-B", "e"),
      `e "A-B" is not a valid environment variable name (letters, digits and '_', not starting with a digit)`,
    ],
  ])("%# rejects with one line", (fn, message) => {
    expect(fn).toThrow(CnbError);
    expect(fn).toThrow(new CnbError(message));
  });
});
