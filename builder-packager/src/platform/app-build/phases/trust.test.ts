import { describe, expect, test } from "vitest";
import { lifecycleMode, modeLine, withExtensions } from "./trust.js";

const noDirs = () => false;

describe("lifecycleMode", () => {
  test.each([
    [{ builder: "oci:out/builder:latest" }, "creator", "local"],
    [{ builder: "out/builder-rootfs" }, "creator", "local"],
    [{ builder: "heroku/builder:24" }, "creator", "known"],
    [{ builder: "paketobuildpacks/builder-jammy-base" }, "creator", "known"],
    // pack matches its known builders as given: another tag is another builder.
    [{ builder: "heroku/builder:18" }, "phases", "unknown-registry-builder"],
    [{ builder: "registry.example.com/acme/builder:1" }, "phases", "unknown-registry-builder"],
    [{ builder: "registry.example.com/acme/builder:1", trustBuilder: true }, "creator", "trusted-flag"],
    [{ builder: "oci:out/builder", trustBuilder: false }, "phases", "untrusted-flag"],
    [{ builder: "oci:out/builder", phases: true }, "phases", "phases-flag"],
    [{ builder: "heroku/builder:24", phases: true }, "phases", "phases-flag"],
  ])("%o → %s (%s)", (req, kind, why) => {
    const isDir = (p: string) => p.endsWith("builder-rootfs");
    expect(lifecycleMode(req, isDir)).toEqual({ kind, why });
  });

  test("--phases with --trust-builder is one line", () => {
    expect(() => lifecycleMode({ builder: "oci:b", phases: true, trustBuilder: true }, noDirs)).toThrow(
      /^--phases and --trust-builder ask for opposite things/,
    );
  });

  test("phases say why in one line; the creator says nothing", () => {
    const unknown = lifecycleMode({ builder: "r.example/b:1" }, noDirs);
    expect(modeLine(unknown, "r.example/b:1")).toMatch(
      /^Builder r\.example\/b:1 is not a trusted builder: .*--trust-builder/,
    );
    expect(modeLine(lifecycleMode({ builder: "oci:b" }, noDirs), "oci:b")).toBeUndefined();
  });
});

describe("withExtensions", () => {
  const ext = { "io.buildpacks.extension.layers": '{"acme/apt":{"1.0.0":{"api":"0.10","layerDiffID":"sha256:00"}}}' };
  test("a builder with extensions builds phase by phase even when trusted; one without keeps its mode", () => {
    const local = lifecycleMode({ builder: "oci:out/builder:latest" }, noDirs);
    expect(withExtensions(local, ext)).toEqual({ kind: "phases", why: "extensions" });
    expect(modeLine(withExtensions(local, ext), "oci:b")).toMatch(/^Builder oci:b has image extensions: running each/);
    expect(withExtensions(local, {})).toBe(local);
    expect(withExtensions(local, { "io.buildpacks.extension.layers": "{}" })).toBe(local);
    const untrusted = lifecycleMode({ builder: "r.example.com/b:1" }, noDirs);
    expect(withExtensions(untrusted, ext)).toBe(untrusted);
  });
});
