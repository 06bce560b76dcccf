import { expect, test } from "vitest";
import { type PruneInputs, prunePolicy } from "./prune-policy.js";

const base: PruneInputs = {
  env: {},
  pkg: { dependencies: { express: "^4" }, devDependencies: { typescript: "^5" } },
  workspace: false,
  manager: "npm",
  berry: false,
  managerVersion: "10.9.4",
};

test.each<[string, Partial<PruneInputs>, boolean, RegExp?, boolean?]>([
  ["the default", {}, true],
  ["BP_NODE_PRUNE_DEV_DEPENDENCIES=false", { env: { BP_NODE_PRUNE_DEV_DEPENDENCIES: "false" } }, false, /^BP_NODE/],
  ["NODE_ENV=development at build", { env: { NODE_ENV: "development" } }, false, /NODE_ENV=development/],
  ["NODE_ENV=production at build", { env: { NODE_ENV: "production" } }, true],
  ["no devDependencies", { pkg: { dependencies: { a: "1" } } }, false, /no devDependencies/],
  ["no devDependencies at a workspace root (members may have some)", { pkg: {}, workspace: true }, true],
  ["yarn 4", { manager: "yarn", berry: true, managerVersion: "4.9.1" }, true],
  [
    "yarn 3 without workspace-tools",
    { manager: "yarn", berry: true, managerVersion: "3.8.7" },
    false,
    /workspace-tools/,
    true,
  ],
  [
    "yarn 3 with workspace-tools",
    {
      manager: "yarn",
      berry: true,
      managerVersion: "3.8.7",
      yarnrc:
        "plugins:\n  - path: .yarn/plugins/@yarnpkg/plugin-workspace-tools.cjs\n    spec: '@yarnpkg/plugin-workspace-tools'\n",
    },
    true,
  ],
  ["yarn 2 without the plugin", { manager: "yarn", berry: true, managerVersion: "2.4.3" }, false, /yarn 2\.4\.3/, true],
])("%s", (_name, over, prune, reason, warn) => {
  const p = prunePolicy({ ...base, ...over });
  expect(p.prune).toBe(prune);
  if (!p.prune) {
    if (reason) expect(p.reason).toMatch(reason);
    expect(p.warn).toBe(warn ?? false);
  }
});
