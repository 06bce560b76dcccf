import { describe, expect, test } from "vitest";
import { imageLabels, parseImageLabels } from "./labels.js";

const pairs = (text: string) => Object.fromEntries(parseImageLabels(text).map((l) => [l.key, l.value]));

describe("parseImageLabels", () => {
  test.each([
    ["a=b", { a: "b" }],
    [`a=b c='d e'`, { a: "b", c: "d e" }],
    [
      `alpha=bravo charlie="delta echo" foxtrot='golf hotel'`,
      { alpha: "bravo", charlie: "delta echo", foxtrot: "golf hotel" },
    ],
    [`"key"='value' 'k2'="v2"`, { key: "value", k2: "v2" }],
    [`"also works"=after`, { "also works": "after" }],
    [`key='val\\'ue' k2="val\\"ue"`, { key: "val'ue", k2: 'val"ue' }],
    [`p="a\\\\b" q='a\\b'`, { p: "a\\b", q: "a\\b" }],
    ["foo=bar=baz", { foo: "bar=baz" }],
    [`foo="bar=baz"`, { foo: "bar=baz" }],
    ["some-label=(example)value", { "some-label": "(example)value" }],
    ["empty= other=''", { empty: "", other: "" }],
    [`  a=1\t\nb=2  `, { a: "1", b: "2" }],
    [`a=x\\ y`, { a: "x y" }],
    [`a=pre'mid dle'post`, { a: "premid dlepost" }],
    ["a=1 a=2", { a: "2" }],
    // As sh joins them (Paketo refuses characters after a closing quote).
    [`"a"b=1`, { ab: "1" }],
    ["", {}],
  ])("%s", (text, expected) => {
    expect(pairs(text)).toEqual(expected);
  });

  test.each([
    [`key='value`, /^BP_IMAGE_LABELS: unclosed ' quote at character 5 of /],
    [`"bad=val`, /^BP_IMAGE_LABELS: unclosed " quote at character 1 /],
    [`a=b lonely`, /^BP_IMAGE_LABELS: "lonely" is not key=value at character 5 /],
    [`""=bar`, /^BP_IMAGE_LABELS: empty label key at character 3 /],
    [`=bar`, /^BP_IMAGE_LABELS: empty label key at character 1 /],
    // Unquoted spaces split words, in keys too (Paketo reads "my key" as one key).
    [`my key=1`, /^BP_IMAGE_LABELS: "my" is not key=value at character 1 /],
  ])("%s fails with one line", (text, message) => {
    let err: Error | undefined;
    try {
      parseImageLabels(text);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toContain("\n");
    expect((err as { hint?: string }).hint).toMatch(/a=b c='d e'/);
  });
});

describe("imageLabels", () => {
  test("BP_OCI_* in spec order, then BP_IMAGE_LABELS sorted; empty settings are unset", () => {
    expect(
      imageLabels({
        BP_IMAGE_LABELS: "z=1 b=2",
        BP_OCI_SOURCE: "https://example.com/app",
        BP_OCI_AUTHORS: "ops",
        BP_OCI_REVISION: "",
        BP_OCI_REF_NAME: "v1",
      }),
    ).toEqual([
      { key: "org.opencontainers.image.authors", value: "ops" },
      { key: "org.opencontainers.image.ref.name", value: "v1" },
      { key: "org.opencontainers.image.source", value: "https://example.com/app" },
      { key: "b", value: "2" },
      { key: "z", value: "1" },
    ]);
  });

  test("a label set by BP_OCI_* and BP_IMAGE_LABELS both is an error", () => {
    expect(() => imageLabels({ BP_OCI_TITLE: "a", BP_IMAGE_LABELS: "org.opencontainers.image.title=b" })).toThrow(
      "BP_OCI_TITLE and BP_IMAGE_LABELS both set the label org.opencontainers.image.title",
    );
  });
});
