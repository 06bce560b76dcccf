#!/usr/bin/env node
/**
 * The API report of @cnbkit/framework: one `docs/api-report/framework*.api.md` per entry
 * point, written by API Extractor from the compiled declarations (run `npm run
 * build:framework` first; the root `api:report` and `api:check` scripts do).
 *
 *   node framework/scripts/api-report.mjs           # check: fail when a report would change
 *   node framework/scripts/api-report.mjs --local   # regenerate the reports
 *   node framework/scripts/api-report.mjs --local --entry ./log   # one entry point only
 *
 * A report lists every exported name with its signature, and flags names without TSDoc
 * (ae-undocumented) and types an export uses but no entry exports (ae-forgotten-export),
 * so a public API change is a visible diff in review.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

// CommonJS with lazily defined exports, which ESM named imports cannot see.
const { Extractor, ExtractorConfig } = createRequire(import.meta.url)("@microsoft/api-extractor");

const framework = join(dirname(fileURLToPath(import.meta.url)), "..");
const reportFolder = join(framework, "..", "docs", "api-report");
const local = process.argv.includes("--local");
const entryArg = process.argv.indexOf("--entry");
const only = entryArg >= 0 ? process.argv[entryArg + 1] : undefined;

const pkg = JSON.parse(readFileSync(join(framework, "package.json"), "utf8"));
let failed = 0;
for (const [key, target] of Object.entries(pkg.exports)) {
  if (only !== undefined && key !== only) continue;
  const sub = key === "." ? "" : key.slice(2);
  const dts = join(
    framework,
    String(target)
      .replace(/^\.\/src\//, "dist/")
      .replace(/\.ts$/, ".d.ts"),
  );
  if (!existsSync(dts)) {
    process.stderr.write(`error: ${dts} is missing: run "npm run build:framework" first\n`);
    process.exit(1);
  }
  const name = sub ? `framework-${sub}` : "framework";
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: framework,
      mainEntryPointFilePath: dts,
      compiler: { tsconfigFilePath: join(framework, "tsconfig.build.json") },
      apiReport: {
        enabled: true,
        reportFileName: `${name}.api.md`,
        reportFolder,
        reportTempFolder: join(framework, "dist", ".api-report"),
        includeForgottenExports: false,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: "warning" } },
        extractorMessageReporting: {
          default: { logLevel: "warning" },
          "ae-missing-release-tag": { logLevel: "none" },
          // TSDoc may link to a name of the same module that no entry exports; the link stays useful in source.
          "ae-unresolved-link": { logLevel: "none" },
          "ae-forgotten-export": { logLevel: "warning", addToApiReportFile: true },
          "ae-undocumented": { logLevel: "warning", addToApiReportFile: true },
        },
        tsdocMessageReporting: { default: { logLevel: "none" } },
      },
    },
    configObjectFullPath: join(framework, "api-extractor.json"),
    packageJsonFullPath: join(framework, "package.json"),
  });
  const result = Extractor.invoke(config, { localBuild: local, showVerboseMessages: false });
  if (!result.succeeded) {
    failed++;
    process.stderr.write(
      `error: docs/api-report/${name}.api.md: the public API of @cnbkit/framework${sub ? `/${sub}` : ""} changed; run "npm run api:report" and commit the report\n`,
    );
  }
}
process.exit(failed === 0 ? 0 : 1);
