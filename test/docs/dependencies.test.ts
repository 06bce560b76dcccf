/**
 * docs/dependencies.md's table of inventory fields, checked against the parser both ways:
 * every key framework/src/dependencies/inventory.ts reads is in the table, and every row's
 * field, type and "required" are what the parser does with it. Fast: no build, no network.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseToml } from "../../framework/src/cnb-files/index.js";
import { parseInventory } from "../../framework/src/dependencies/inventory.js";

const root = join(import.meta.dirname, "..", "..");
const doc = readFileSync(join(root, "docs", "dependencies.md"), "utf8");
/** The parser's code without its comments ("e.g." is not a key). */
const parser = readFileSync(join(root, "framework", "src", "dependencies", "inventory.ts"), "utf8")
  .replace(/\/\*[\s\S]*?\*\//g, "")
  .replace(/\/\/.*$/gm, "");

interface Row {
  field: string;
  type: string;
  required: boolean;
  text: string;
}

function rows(): Row[] {
  const table = /<!-- inventory-fields -->\n([\s\S]*?)<!-- \/inventory-fields -->/.exec(doc)?.[1];
  if (!table) throw new Error("docs/dependencies.md has no <!-- inventory-fields --> table");
  return table
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) => {
      const [field = "", type = "", required = "", what = ""] = l.split(" | ").map((c) => c.replace(/^\| /, "").trim());
      return { field: field.replace(/`/g, ""), type, required: required === "yes", text: `${field} ${what}` };
    });
}

const base = () => ({
  id: "go",
  version: "1.26.11",
  uri: "https://example.com/go.zip",
  sha256: "e".repeat(64),
});

/** A value of the documented type, what the parser should make of it, and one of another type. */
function samples(type: string): { good: unknown; parsed: unknown; bad: unknown } {
  if (/^string \(a URI\)$/.test(type))
    return { good: "file:///x/go.zip", parsed: "file:///x/go.zip", bad: "not a uri" };
  if (/^string \(64 hex digits\)$/.test(type)) return { good: "A".repeat(64), parsed: "a".repeat(64), bad: "abc" };
  if (/^string \(a version\)$/.test(type)) return { good: "v1.2", parsed: "v1.2", bad: "latest" };
  if (type === "string") return { good: "x", parsed: "x", bad: 42 };
  if (type === "array of strings") return { good: ["a", "b"], parsed: ["a", "b"], bad: "a" };
  if (type === "array of strings or `{ type, uri }` tables") {
    return { good: ["MIT", { type: "Apache-2.0", uri: "https://x" }], parsed: ["MIT", "Apache-2.0"], bad: [42] };
  }
  if (type === "integer ≥ 0") return { good: 2n, parsed: 2, bad: -1 };
  if (type.startsWith("TOML offset date-time")) {
    const d = new Date("2027-02-15T00:00:00Z");
    return { good: d, parsed: d, bad: "someday" };
  }
  if (type === "array of `{ name, version }` tables") {
    return {
      good: [{ name: "debian", version: "13" }],
      parsed: [{ name: "debian", version: "13" }],
      bad: [{ name: 13 }],
    };
  }
  throw new Error(`docs/dependencies.md: type "${type}" has no sample here; add one that the parser checks`);
}

const camel = (key: string) => key.replace(/[-_]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

describe("docs/dependencies.md's inventory fields", () => {
  test("every key the parser reads is in the table (as a field or a named alias)", () => {
    const keys = new Set<string>();
    for (const re of [
      /\b(?:str|sha)\("([\w-]+)"/g,
      /\be\["([\w-]+)"\]/g,
      /\be\.([a-z]\w+)/g,
      /"(deprecation_date)"/g,
    ]) {
      for (const m of parser.matchAll(re)) keys.add(m[1] as string);
    }
    expect(keys.size).toBeGreaterThan(10);
    const table = rows();
    for (const key of keys) {
      expect(
        table.some((r) => r.field === key || r.text.includes(`\`${key}\``)),
        `${key} is read by inventory.ts but not in docs/dependencies.md`,
      ).toBe(true);
    }
  });

  test.each(rows())("$field: $type, required: $required", ({ field, type, required }) => {
    const { good, parsed, bad } = samples(type);
    const [dep] = parseInventory({ dependencies: [{ ...base(), [field]: good }] });
    expect((dep as unknown as Record<string, unknown>)[camel(field)]).toEqual(parsed);
    expect(() => parseInventory({ dependencies: [{ ...base(), [field]: bad }] })).toThrow(
      new RegExp(`\\]\\[0\\]\\.${field.replace(/[-]/g, "\\-")}\\b`),
    );
    const without = { ...base(), [field]: undefined } as Record<string, unknown>;
    delete without[field];
    if (required) expect(() => parseInventory({ dependencies: [without] })).toThrow(`.${field} is missing`);
    else expect(parseInventory({ dependencies: [without] })).toHaveLength(1);
  });

  test("the chapter's example inventory parses, deprecation-date as a TOML date-time", () => {
    const block = /```toml\n(\[\[metadata\.dependencies\]\][\s\S]*?)```/.exec(doc)?.[1] as string;
    const [dep] = parseInventory(parseToml(block, "docs/dependencies.md").metadata);
    expect(dep?.deprecationDate).toEqual(new Date("2027-02-15T00:00:00Z"));
    expect(dep?.stripComponents).toBe(2);
  });
});
