/**
 * `npm run lint:cycles`: who may import what, over the whole repository (framework,
 * builder-packager, buildpacks, tools, test, bench, scripts). See docs/architecture.md.
 *
 * - No import cycles, type-only ones included: the framework's buildpack contract has a module
 *   of its own (framework/src/contract/contract.ts) that the phase runners depend on.
 * - A builder-packager stage (a folder of src/: oci, compile, package, builder, base,
 *   platform, cli, ...) uses another stage only through that stage's index.ts; tests and
 *   test support (`*.test.ts`, `test-*.ts`) may also use another stage's test support.
 * - A buildpack's sources import only `@cnbkit/framework` (its public entries), node:
 *   builtins, their own npm dependencies and their own files.
 * - The framework's folders stand on floors (FRAMEWORK_FLOORS): each imports only lower ones.
 * - Only tests and tools import a `testing/` folder.
 * - The framework imports nothing else of the repo; the packager no buildpack, tool or test;
 *   tools no buildpack (buildpacks' test support uses tools, so the reverse would be a cycle);
 *   nothing imports builders/ (it holds builder definitions only).
 */
const STAGE = "^builder-packager/src/([^/]+)/";
const TEST_FILE = "(\\.test\\.ts|/test-[^/]+\\.ts)$";
/** Tests and their support: test files, test-*.ts, testing/ folders, test/ and bench/. */
const TESTS = [TEST_FILE, "/testing/", "^test/", "^bench/"];
/** Repo tooling that may use test support: the local builder and the scripts. */
const TOOLS = ["^tools/", "^scripts/"];
/**
 * The framework's folders by floor, lowest first: a folder's product code imports only
 * folders on floors below its own (docs/architecture.md, "The framework's folders"), so no
 * arrow points back up and a folder can be read knowing only the floors under it. A folder
 * of framework/src that is on no floor fails lint (`framework-folder-on-a-floor`).
 */
const FRAMEWORK_FLOORS = [
  ["errors", "fs", "log", "bundle"],
  ["cnb-files", "sbom"],
  ["environment"],
  ["dependencies", "layers", "process"],
  ["contract"],
  ["packaging", "testing"],
];
/** `^framework/src/(a|b|...)/` for the given folders. */
const frameworkFolders = (folders) => `^framework/src/(${folders.join("|")})/`;
/** One rule per floor: its folders import nothing on their own floor or above, except themselves. */
const frameworkFloorRules = FRAMEWORK_FLOORS.map((floor, i) => ({
  name: "framework-no-arrow-up",
  severity: "error",
  comment: `A framework folder imports only folders on lower floors (${floor.join(", ")} are on floor ${i}).`,
  from: { path: frameworkFolders(floor), pathNot: TEST_FILE },
  to: { path: frameworkFolders(FRAMEWORK_FLOORS.slice(i).flat()), pathNot: "^framework/src/$1/" },
}));
/** Every top folder of the repo that holds code. */
const REPO_CODE = "^(framework|builder-packager|buildpacks|tools|builders|test|bench|scripts|templates)/";

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle means two modules (or stages, or folders) cannot be understood, tested or moved apart.",
      from: { path: "^(framework|builder-packager|buildpacks|tools|test|bench|scripts)/" },
      to: { circular: true },
    },
    {
      name: "stage-through-index",
      severity: "error",
      comment: "A stage uses another stage only through its index.ts (see docs/architecture.md).",
      from: { path: STAGE, pathNot: TEST_FILE },
      to: {
        path: STAGE,
        pathNot: ["^builder-packager/src/$1/", "^builder-packager/src/[^/]+/index\\.ts$"],
      },
    },
    {
      name: "test-stage-through-index",
      severity: "error",
      comment: "A test uses another stage through its index.ts, or that stage's test support (test-*.ts).",
      from: { path: `${STAGE}.*${TEST_FILE}` },
      to: {
        path: STAGE,
        pathNot: [
          "^builder-packager/src/$1/",
          "^builder-packager/src/[^/]+/index\\.ts$",
          "^builder-packager/src/[^/]+/test-[^/]+\\.ts$",
        ],
      },
    },
    {
      name: "buildpack-uses-only-framework",
      severity: "error",
      comment:
        "A buildpack is compiled and shipped on its own: its sources use @cnbkit/framework, never another buildpack, the packager, tools, tests or builders.",
      from: { path: "^buildpacks/([^/]+)/src/", pathNot: TESTS },
      to: { path: REPO_CODE, pathNot: ["^buildpacks/$1/", "^framework/src/"] },
    },
    {
      name: "buildpack-framework-by-name",
      severity: "error",
      comment:
        "A buildpack reaches the framework as the package @cnbkit/framework (its public entries), not by a relative path into framework/.",
      from: { path: "^buildpacks/[^/]+/src/", pathNot: TESTS },
      to: { path: "^framework/", dependencyTypes: ["local"] },
    },
    {
      name: "testing-only-from-tests-and-tools",
      severity: "error",
      comment:
        "A testing/ folder is test support (fakes, fixtures, the harness): shipped code that imports it drags test code into images.",
      from: { pathNot: [...TESTS, ...TOOLS] },
      to: { path: "/testing/" },
    },
    {
      name: "framework-stands-alone",
      severity: "error",
      comment:
        "The framework is the published base everything else builds on: it imports nothing else of the repo (never builder-packager).",
      from: { path: "^framework/" },
      to: { path: REPO_CODE, pathNot: "^framework/" },
    },
    {
      name: "packager-uses-no-buildpack-or-tool",
      severity: "error",
      comment:
        "The CLI ships alone: its sources use the framework and their own stages, never a buildpack, a tool or test code.",
      from: { path: "^builder-packager/src/", pathNot: TESTS },
      to: { path: REPO_CODE, pathNot: ["^builder-packager/", "^framework/src/"] },
    },
    {
      name: "tools-use-no-buildpack",
      severity: "error",
      comment:
        "Buildpacks' tests use tools/ (the local inventories), so tools/ importing a buildpack would close a folder cycle; read a buildpack's files at run time instead.",
      from: { path: "^tools/" },
      to: { path: "^buildpacks/" },
    },
    ...frameworkFloorRules,
    {
      name: "framework-folder-on-a-floor",
      severity: "error",
      comment:
        "Each folder of framework/src has a floor in FRAMEWORK_FLOORS (.dependency-cruiser.cjs): add the new one.",
      from: { path: "^framework/src/[^/]+/", pathNot: frameworkFolders(FRAMEWORK_FLOORS.flat()) },
      to: {},
    },
    {
      name: "builders-hold-no-code",
      severity: "error",
      comment: "builders/ holds builder definitions (builder.toml, README); code that makes builders lives in tools/.",
      from: {},
      to: { path: "^builders/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Resolve the workspaces' own packages (@cnbkit/framework/...) through their exports to
    // their .ts sources, so the rules above see which entry a buildpack uses.
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "default"],
      extensions: [".ts", ".js", ".mjs", ".cjs"],
    },
  },
};
