import { expect, test } from "vitest";
import { berryLinker, type ModulesLocationInputs, modulesLocation } from "./modules-location.js";

const base: ModulesLocationInputs = { packages: [{ dependencies: { express: "^4" } }], berry: false, manager: "npm" };

test.each<[string, Partial<ModulesLocationInputs>, "layer" | "app", RegExp?]>([
  ["a plain npm app", {}, "layer"],
  ["Next.js as a dependency", { packages: [{ dependencies: { next: "16.0.0" } }] }, "app", /Turbopack/],
  ["Next.js in a workspace member", { packages: [{}, { devDependencies: { next: "16" } }] }, "app", /Next\.js/],
  ["yarn berry, nodeLinker pnp", { manager: "yarn", berry: true, yarnLinker: "pnp" }, "app", /Plug'n'Play/],
  ["yarn berry, nodeLinker node-modules", { manager: "yarn", berry: true, yarnLinker: "node-modules" }, "layer"],
  ["pnpm with node-linker=pnp in .npmrc", { manager: "pnpm", npmrc: "node-linker=pnp\n" }, "app", /pnpm/],
  ["pnpm 10 with nodeLinker in pnpm-workspace.yaml", { manager: "pnpm", pnpmWorkspace: "nodeLinker: pnp\n" }, "app"],
  ["pnpm isolated (default)", { manager: "pnpm", npmrc: "auto-install-peers=true\n" }, "layer"],
])("%s → %s", (_name, over, kind, reason) => {
  const loc = modulesLocation({ ...base, ...over });
  expect(loc.kind).toBe(kind);
  if (reason && loc.kind === "app") expect(loc.reason).toMatch(reason);
});

test.each<[string, Record<string, string>, string | undefined, string, boolean?]>([
  ["no setting: node-modules (not yarn's own PnP default)", {}, undefined, "node-modules"],
  [".yarnrc.yml nodeLinker", {}, "nodeLinker: pnp\n", "pnp"],
  ["YARN_NODE_LINKER beats .yarnrc.yml", { YARN_NODE_LINKER: "pnp" }, "nodeLinker: node-modules\n", "pnp"],
  [".yarnrc.yml without nodeLinker", {}, "enableTelemetry: false\n", "node-modules"],
  ["a shipped .pnp.cjs (zero-installs) with no nodeLinker: PnP, as it was installed", {}, undefined, "pnp", true],
  ["a shipped .pnp.cjs, .yarnrc.yml says node-modules", {}, "nodeLinker: node-modules\n", "node-modules", true],
])("berryLinker: %s", (_name, settings, yarnrc, want, shipsPnp) => {
  expect(berryLinker(settings, yarnrc, shipsPnp)).toBe(want);
});
