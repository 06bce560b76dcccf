import { expect, test } from "vitest";
import type { BindMount } from "../../../container/index.js";
import { PHASE_ORDER } from "./phase.js";
import { phaseEnv, phaseMounts, registryAuthJson } from "./phase-container.js";

const auth = registryAuthJson({ "127.0.0.1:5000": "Basic dTpw" });
const base = ["PATH=/usr/bin", "CNB_PLATFORM_API=0.14", "CNB_REGISTRY_AUTH=leaked"];

test("registry credentials and the layout repository reach analyze, restore and export only", () => {
  const seen = PHASE_ORDER.filter((p) =>
    phaseEnv(p, { base, platformApi: "0.9", layoutDir: "/layout-repo", ...(auth ? { registryAuth: auth } : {}) }).some(
      (e) => e === `CNB_REGISTRY_AUTH=${auth}`,
    ),
  );
  expect(seen).toEqual(["analyze", "restore", "export"]);
  const detect = phaseEnv("detect", { base, platformApi: "0.9", layoutDir: "/layout-repo" });
  // The base's own CNB_REGISTRY_AUTH and Platform API never pass through.
  expect(detect).toEqual(["PATH=/usr/bin", "CNB_PLATFORM_API=0.9"]);
  expect(phaseEnv("export", { base, platformApi: "0.9", layoutDir: "/layout-repo" })).toEqual([
    "PATH=/usr/bin",
    "CNB_PLATFORM_API=0.9",
    "CNB_USE_LAYOUT=true",
    "CNB_LAYOUT_DIR=/layout-repo",
  ]);
});

test("the cache and the layout repository are mounted for analyze, restore and export only", () => {
  const shared: BindMount[] = [{ source: "/w/platform", destination: "/platform", readonly: true }];
  const state: BindMount[] = [
    { source: "/w/cache", destination: "/cache" },
    { source: "/w/repo", destination: "/layout-repo" },
  ];
  const withCache = PHASE_ORDER.filter((p) => phaseMounts(p, shared, state).some((m) => m.destination === "/cache"));
  expect(withCache).toEqual(["analyze", "restore", "export"]);
  expect(phaseMounts("build", shared, state)).toEqual(shared);
  expect(registryAuthJson({})).toBeUndefined();
  expect(JSON.parse(auth ?? "")).toEqual({ "127.0.0.1:5000": "Basic dTpw" });
});

test("the cache layers kept by reference reach the builder alone, where the buildpacks fill them", () => {
  const shared: BindMount[] = [{ source: "/w/platform", destination: "/platform", readonly: true }];
  const state: BindMount[] = [{ source: "/c", destination: "/cache" }];
  const layerCache: BindMount[] = [{ source: "/s/merged", destination: "/cnbkit/layer-cache" }];
  const withIt = PHASE_ORDER.filter((p) =>
    phaseMounts(p, shared, state, layerCache).some((m) => m.destination === "/cnbkit/layer-cache"),
  );
  expect(withIt).toEqual(["build"]);
});
