/**
 * `npm run lint:cycles`: the module graph of builder-packager/src and framework/src has no
 * cycles, and a builder-packager stage (a folder of src/: oci, compile, package, builder,
 * base, platform, cli, ...) uses another stage only through that stage's index.ts. Tests and
 * test support (`*.test.ts`, `test-*.ts`) may also use another stage's test support.
 */
const STAGE = "^builder-packager/src/([^/]+)/";
const TEST_FILE = "(\\.test\\.ts|/test-[^/]+\\.ts)$";

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle means two modules (or stages) cannot be understood, tested or moved apart.",
      from: { path: "^builder-packager/" },
      to: { circular: true },
    },
    {
      name: "no-circular-framework",
      severity: "error",
      comment:
        "No cycle a module's loading depends on. A buildpack definition's types and the detect and build contexts name each other (type-only imports, gone at run time): allowed.",
      from: { path: "^framework/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
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
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
