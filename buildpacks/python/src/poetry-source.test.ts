import { describe, expect, test } from "vitest";
import { INDEX_SOURCE, lockSource, PYPI_SIMPLE, type SourcePyproject } from "./poetry-source.js";

const app: SourcePyproject = {
  project: { name: "hello", dependencies: ["fastapi>=0.110"] },
  tool: { poetry: { "package-mode": false } },
};

describe("the index an unlocked Poetry project resolves through", () => {
  test("PyPI's simple index by default, as a primary legacy source that turns Poetry's PyPI source off", () => {
    const s = lockSource(app, {});
    expect(s.index).toBe(PYPI_SIMPLE);
    expect(s.from).toBe("PyPI's simple index");
    expect(s.pyproject.tool?.poetry).toEqual({
      "package-mode": false,
      source: [{ name: INDEX_SOURCE, url: PYPI_SIMPLE, priority: "primary" }],
    });
    // The rest of the project is as it was.
    expect(s.pyproject.project).toBe(app.project);
    expect(s.env).toEqual({});
  });

  test("PIP_INDEX_URL when the build sets it", () => {
    const s = lockSource(app, { PIP_INDEX_URL: " https://mirror.example/simple/ " });
    expect(s.index).toBe("https://mirror.example/simple/");
    expect(s.from).toBe("PIP_INDEX_URL");
  });

  test("credentials in PIP_INDEX_URL go to Poetry's variables, not into the URL the lock and the log hold", () => {
    const s = lockSource(app, { PIP_INDEX_URL: "https://ci%40corp:p%2Fss@mirror.example/simple/" });
    expect(s.index).toBe("https://mirror.example/simple/");
    expect(s.env).toEqual({
      POETRY_HTTP_BASIC_CNBKIT_INDEX_USERNAME: "ci@corp",
      POETRY_HTTP_BASIC_CNBKIT_INDEX_PASSWORD: "p/ss",
    });
  });

  test.each<[string, Record<string, unknown>]>([
    ["no priority (primary in Poetry 2)", { name: "corp", url: "https://corp.example/simple/" }],
    ["priority primary", { name: "corp", url: "https://corp.example/simple/", priority: "primary" }],
    ["Poetry 1's default = true", { name: "corp", url: "https://corp.example/simple/", default: true }],
  ])("a project whose own source is primary (%s) is locked as it is", (_, source) => {
    const own = { tool: { poetry: { source: [source] } } };
    const s = lockSource(own, { PIP_INDEX_URL: "https://mirror.example/simple/" });
    expect(s.pyproject).toBe(own);
    expect(s.index).toBeUndefined();
    expect(s.from).toBe('pyproject.toml [[tool.poetry.source]] "corp"');
  });

  test("supplemental and explicit sources keep PyPI on: the index is added after them", () => {
    const extra = { name: "extra", url: "https://extra.example/simple/", priority: "supplemental" };
    const s = lockSource({ tool: { poetry: { source: [extra] } } }, {});
    expect(s.pyproject.tool?.poetry?.source).toEqual([
      extra,
      { name: INDEX_SOURCE, url: PYPI_SIMPLE, priority: "primary" },
    ]);
  });

  test("a PyPI source the project names is replaced by the index, with its priority", () => {
    const own = { name: "corp", url: "https://corp.example/simple/", priority: "supplemental" };
    const s = lockSource({ tool: { poetry: { source: [{ name: "PyPI", priority: "primary" }, own] } } }, {});
    expect(s.pyproject.tool?.poetry?.source).toEqual([
      own,
      { name: INDEX_SOURCE, url: PYPI_SIMPLE, priority: "primary" },
    ]);
  });
});
