/**
 * A private index from a binding: a `pip` (or `uv`, `poetry`) binding's index-url becomes the
 * tools' PIP_INDEX_URL and UV_INDEX_URL, a `netrc` binding's file becomes NETRC, the build's
 * own env wins, and the log names bindings, never credentials.
 */
import type { Binding, Bindings } from "@cnbkit/framework";
import { describe, expect, test } from "vitest";
import { indexBindingSettings } from "./index-binding.js";

/** A binding held in memory (the framework's Bindings look-ups, over a list). */
function memoryBinding(name: string, type: string, values: Record<string, string>): Binding {
  return {
    name,
    type,
    path: "",
    entries: Object.keys(values).sort(),
    read: async (key) => values[key],
  };
}

/** The look-ups index-binding.ts makes, over `list`. */
class FakeBindings implements Pick<Bindings, "byType" | "one"> {
  constructor(private readonly list: Binding[]) {}
  byType(type: string): Binding[] {
    return this.list.filter((b) => b.type === type);
  }
  one(type: string): Binding | undefined {
    return this.byType(type)[0];
  }
}

const URL = "https://ci:s3cret-token@pypi.example.com/simple";

describe("index binding", () => {
  test("a pip binding's index-url is pip's and uv's index; the log holds no credential", async () => {
    const r = await indexBindingSettings(
      new FakeBindings([memoryBinding("pypi", "pip", { "index-url": `${URL}\n` })]),
      {
        BP_LOG_LEVEL: "info",
      },
    );
    expect(r.settings).toEqual({ PIP_INDEX_URL: URL, UV_INDEX_URL: URL, BP_LOG_LEVEL: "info" });
    expect(r.lines).toEqual(['Package index: from binding "pypi" (build only, never in a layer)']);
    expect(r.lines.join("\n")).not.toContain("s3cret");
  });

  test("the build's own PIP_INDEX_URL wins; no binding changes nothing", async () => {
    const own = { PIP_INDEX_URL: "https://mirror.example.com/simple" };
    const r = await indexBindingSettings(new FakeBindings([memoryBinding("idx", "uv", { "index-url": URL })]), own);
    expect(r.settings.PIP_INDEX_URL).toBe(own.PIP_INDEX_URL);
    expect(r.settings.UV_INDEX_URL).toBe(URL);
    expect(await indexBindingSettings(new FakeBindings([]), own)).toEqual({ settings: own, lines: [] });
  });

  test("a netrc binding on disk is NETRC; two index bindings or no index-url are one line", async () => {
    const netrc = {
      ...memoryBinding("creds", "netrc", { ".netrc": "machine x login a password b" }),
      path: "/b/creds",
    };
    const r = await indexBindingSettings(new FakeBindings([netrc]), {});
    expect(r.settings).toEqual({ NETRC: "/b/creds/.netrc" });
    await expect(
      indexBindingSettings(
        new FakeBindings([
          memoryBinding("a", "pip", { "index-url": URL }),
          memoryBinding("b", "poetry", { "index-url": URL }),
        ]),
        {},
      ),
    ).rejects.toThrow(/2 bindings name the package index \(a, b\); give one/);
    await expect(indexBindingSettings(new FakeBindings([memoryBinding("a", "pip", {})]), {})).rejects.toThrow(
      /binding "a" \(type pip\) has no index-url entry/,
    );
  });
});
