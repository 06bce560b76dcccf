import { expect, test } from "vitest";
import { jsonErrorOffset } from "./json-error-offset.js";

test.each([
  ['{"a": [1, 2.5e3, -0, "x\\"y", true, false, null], "b": {}}', undefined],
  ["", 0],
  ['{"a": 1,}', 8],
  ['{"a" 1}', 5],
  ["[1 2]", 3],
  ['{"a": tru}', 6],
  ['"line\nbreak"', 5],
  ["[1] x", 4],
  ['{"a": "open', 11],
])("jsonErrorOffset(%j) is %j", (text, offset) => {
  expect(jsonErrorOffset(text)).toBe(offset);
  if (offset === undefined) expect(() => JSON.parse(text)).not.toThrow();
  else expect(() => JSON.parse(text)).toThrow();
});
