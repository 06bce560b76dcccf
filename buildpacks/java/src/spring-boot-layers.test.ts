import { expect, test } from "vitest";
import { layersToSlices, parseLayersIndex } from "./spring-boot-layers.js";

// As spring-boot-maven-plugin 3.x writes it (the loader moved to org/springframework/boot/loader in 3.2).
const index = [
  '- "dependencies":',
  '  - "BOOT-INF/lib/"',
  '- "spring-boot-loader":',
  '  - "org/"',
  '- "snapshot-dependencies":',
  '- "application":',
  '  - "BOOT-INF/classes/"',
  '  - "BOOT-INF/classpath.idx"',
  '  - "BOOT-INF/layers.idx"',
  '  - "META-INF/"',
  "",
].join("\n");

test("the default index: four layers in order, one of them empty", () => {
  expect(parseLayersIndex(index, "BOOT-INF/layers.idx")).toEqual([
    { name: "dependencies", paths: ["BOOT-INF/lib/"] },
    { name: "spring-boot-loader", paths: ["org/"] },
    { name: "snapshot-dependencies", paths: [] },
    { name: "application", paths: ["BOOT-INF/classes/", "BOOT-INF/classpath.idx", "BOOT-INF/layers.idx", "META-INF/"] },
  ]);
});

test.each([
  [
    "the default index",
    index,
    [["BOOT-INF/lib"], ["org"], ["BOOT-INF/classes", "BOOT-INF/classpath.idx", "BOOT-INF/layers.idx", "META-INF"]],
  ],
  [
    "a custom layer for the company's libraries",
    '- "company":\n  - "BOOT-INF/lib/acme-*.jar"\n- "rest":\n  - "BOOT-INF/"\n',
    [["BOOT-INF/lib/acme-*.jar"], ["BOOT-INF"]],
  ],
  ["an empty index", "", []],
])("slices of %s", (_name, text, paths) => {
  expect(layersToSlices(parseLayersIndex(text, "x")).map((s) => s.paths)).toEqual(paths);
});

test("a line that is neither names the file and line", () => {
  expect(() => parseLayersIndex('- "a":\n  - "x/"\nbroken\n', "BOOT-INF/layers.idx")).toThrow(
    /^BOOT-INF\/layers.idx: line 3 is not a layer/,
  );
});
