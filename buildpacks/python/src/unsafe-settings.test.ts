import { isCnbError } from "@cnbkit/framework";
import { describe, expect, test } from "vitest";
import { checkSettings } from "./unsafe-settings.js";

/** The error checkSettings throws for `settings`, as the user sees it (line and hint). */
function refusal(settings: Record<string, string>): { message: string; hint?: string } {
  try {
    checkSettings(settings);
  } catch (err) {
    if (isCnbError(err)) return { message: err.message, hint: err.hint };
    throw err;
  }
  throw new Error("checkSettings did not throw");
}

describe("build settings that would break the install", () => {
  test("one breaking variable: one line naming it and what it does, and a hint naming where to unset it", () => {
    const r = refusal({ PIP_TARGET: "/tmp/site", PIP_INDEX_URL: "https://pypi.example/simple" });
    expect(r.message).toBe(
      "build env: this variable breaks the install: PIP_TARGET (pip installs into another directory)",
    );
    expect(r.hint).toMatch(/^Unset PIP_TARGET \(cnbkit build --env/);
  });

  test("several are named together, in one line", () => {
    const r = refusal({ PYTHONHOME: "/usr", UV_NO_CACHE: "1", POETRY_VIRTUALENVS_IN_PROJECT: "true" });
    expect(r.message).toBe(
      "build env: these variables break the install: PYTHONHOME (CPython looks for its standard library elsewhere), UV_NO_CACHE (uv's cache layer stays empty, so each change downloads everything), POETRY_VIRTUALENVS_IN_PROJECT (Poetry installs into the app's .venv)",
    );
    expect(r.hint).toContain("Unset PYTHONHOME, UV_NO_CACHE, POETRY_VIRTUALENVS_IN_PROJECT");
  });

  test("a private index and other tool settings pass; an empty value counts as unset", () => {
    expect(
      checkSettings({
        PIP_INDEX_URL: "https://pypi.example/simple",
        UV_INDEX_URL: "https://pypi.example/simple",
        POETRY_HTTP_BASIC_CORP_USERNAME: "me",
        PIP_TARGET: "",
      }),
    ).toEqual([]);
  });

  test("variables the buildpack sets for its layers are returned, to be logged as not used", () => {
    expect(checkSettings({ UV_CACHE_DIR: "/tmp/uv", VIRTUAL_ENV: "/venv", PORT: "8080" })).toEqual([
      "UV_CACHE_DIR",
      "VIRTUAL_ENV",
    ]);
  });
});
