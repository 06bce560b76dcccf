import { expect, test } from "vitest";
import { cgoKey } from "./compile.js";

type KeyInputs = Parameters<typeof cgoKey>[0];

const base = {
  graph: "g1",
  toolchain: { version: "1.27.4" },
  flags: ["-trimpath"],
  targets: [{ pkg: ".", name: "app" }],
  settings: { BP_GO_TARGETS: "." },
  ctx: { target: { arch: "amd64" } },
} as unknown as KeyInputs;

test("the cgo key changes with whatever go list's answer depends on, and with nothing else", () => {
  const key = cgoKey(base);
  expect(cgoKey({ ...base, settings: { ...base.settings, BP_KEEP_FILES: "x", PORT: "1" } })).toBe(key);
  const changes: Partial<Record<keyof KeyInputs, unknown>>[] = [
    { graph: "g2" },
    { toolchain: { version: "1.26.11" } },
    { flags: ["-trimpath", "-tags=sqlite"] },
    { targets: [{ pkg: "./cmd/api", name: "api" }] },
    { ctx: { target: { arch: "arm64" } } },
    { settings: { GOFLAGS: "-tags=netgo" } },
    { settings: { GOWORK: "off" } },
    { settings: { CGO_CFLAGS: "-O2" } },
    { settings: { BP_GO_WORK_USE: "./lib" } },
  ];
  for (const change of changes)
    expect(cgoKey({ ...base, ...change } as KeyInputs), JSON.stringify(change)).not.toBe(key);
});
