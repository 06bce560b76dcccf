import { expect, test } from "vitest";
import { shellWords } from "@cnbkit/framework/process";
import { DEFAULT_MAVEN_ARGUMENTS } from "./maven-args.js";
import {
  argsForMaven,
  knowsNoTransferProgress,
  QUIET_TRANSFERS_PROPERTY,
  wrapperMavenVersion,
} from "./maven-wrapper-version.js";

const central = "https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven";

test.each([
  ["vert.x starter (wrapper 0.x)", `distributionUrl=${central}/3.5.2/apache-maven-3.5.2-bin.zip\n`, "3.5.2"],
  [
    "wrapper 3.3 only-script, after other keys",
    `wrapperVersion=3.3.4\ndistributionType=only-script\ndistributionUrl=${central}/3.9.16/apache-maven-3.9.16-bin.zip\n`,
    "3.9.16",
  ],
  ["a tar.gz, spaces around =", `distributionUrl = ${central}/3.6.3/apache-maven-3.6.3-bin.tar.gz`, "3.6.3"],
  ["a mirror with another file name", "distributionUrl=https://mirror.example/maven.zip", undefined],
  ["no distributionUrl", "wrapperUrl=https://x/maven-wrapper-3.2.0.jar", undefined],
])("wrapper's Maven version: %s", (_name, text, version) => {
  expect(wrapperMavenVersion(text)).toBe(version);
});

test.each([
  ["3.5.2", false],
  ["3.6.0", false],
  ["3.6.1", true],
  ["3.6", false],
  ["3.9.16", true],
  ["4.0.0", true],
  ["2.2.1", false],
  [undefined, true],
])("Maven %s knows --no-transfer-progress: %s", (version, knows) => {
  expect(knowsNoTransferProgress(version)).toBe(knows);
});

test("the default arguments on Maven 3.5.2 quiet transfers with the logger property; on 3.9 they stay", () => {
  const defaults = shellWords(DEFAULT_MAVEN_ARGUMENTS, "x");
  expect(argsForMaven(defaults, "3.5.2")).toEqual(["package", "-DskipTests", "--batch-mode", QUIET_TRANSFERS_PROPERTY]);
  expect(argsForMaven(["-ntp", "verify"], "3.3.9")).toEqual([QUIET_TRANSFERS_PROPERTY, "verify"]);
  expect(argsForMaven(defaults, "3.9.16")).toEqual(defaults);
  expect(argsForMaven(defaults, undefined)).toEqual(defaults);
});
