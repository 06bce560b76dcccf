/** `cnbkit build`'s pack-compatible flags as the CLI parses them, and their one-line errors. */
import { resolve } from "node:path";
import { expect, test } from "vitest";
import { helpText, parseInvocation } from "../command.js";
import { buildCommand } from "./build.js";
import { packBuildFlags, parseCreationTime, parseEnvPairs } from "./build-run.js";

const io = { out: () => {}, err: () => {} };
const parse = (...argv: string[]) => parseInvocation(buildCommand, ["app", "-B", "b", "-o", "oci:out", ...argv], io)!;

test("each pack flag becomes its build option", () => {
  const flags = packBuildFlags(
    parse(
      "--clear-cache",
      "--default-process",
      "worker",
      "--tag",
      "oci:out/a:v1",
      "--tag",
      "registry.example.com/app:v2",
      "--creation-time",
      "1700000000",
      "--sbom-output-dir",
      "sbom",
      "--report-output-dir",
      "rep",
      "--cache-image",
      "127.0.0.1:5000/cache",
      "--previous-image",
      "oci:prev",
    ),
  );
  expect(flags).toEqual({
    clearCache: true,
    defaultProcess: "worker",
    tags: [`oci:${resolve("out/a")}:v1`, "registry.example.com/app:v2"],
    creationTime: 1_700_000_000,
    sbomOutputDir: resolve("sbom"),
    reportOutputDir: resolve("rep"),
    cacheImage: "127.0.0.1:5000/cache",
    previousImage: `oci:${resolve("prev")}`,
  });
  expect(packBuildFlags(parse())).toEqual({});
});

test("--buildpack, --pre/--post-buildpack, --descriptor, --network and --pull-policy become build options", () => {
  const flags = packBuildFlags(
    parse(
      "-b",
      "./my-bp",
      "--buildpack",
      "oci:out/bp",
      "--buildpack",
      "cnbkit/nodejs@1.0.0",
      "--pre-buildpack",
      "cnbkit/ca-certificates",
      "--post-buildpack",
      "x.cnb",
      "-d",
      "ci/project.toml",
      "--network",
      "none",
      "--pull-policy",
      "never",
    ),
  );
  expect(flags).toEqual({
    buildpacks: ["./my-bp", `oci:${resolve("out/bp")}`, "cnbkit/nodejs@1.0.0"],
    preBuildpacks: ["cnbkit/ca-certificates"],
    postBuildpacks: ["x.cnb"],
    descriptor: resolve("ci/project.toml"),
    network: "none",
    pullPolicy: "never",
  });
  expect(() => packBuildFlags(parse("--network", "bridge"))).toThrow(
    /^--network "bridge" is not isolated, host or none/,
  );
  expect(() => packBuildFlags(parse("--pull-policy", "sometimes"))).toThrow(
    /^--pull-policy "sometimes" is not one of always, if-not-present, never$/,
  );
});

test("--exec-env becomes the build's execution environment; a name with other than letters, digits, '.', '-' is one line", () => {
  expect(packBuildFlags(parse("--exec-env", "test"))).toEqual({ execEnv: "test" });
  expect(() => packBuildFlags(parse("--exec-env", "dev/local"))).toThrow(
    /^--exec-env "dev\/local" is not an execution environment name \(letters, digits, '\.' and '-'\), e\.g\. production, test or development$/,
  );
});

test("--creation-time takes now or epoch seconds, and names the accepted forms otherwise", () => {
  expect(parseCreationTime("now", () => 1_700_000_000_999)).toBe(1_700_000_000);
  expect(parseCreationTime("0")).toBe(0);
  expect(() => packBuildFlags(parse("--creation-time", "yesterday"))).toThrow(
    /^--creation-time "yesterday" is not "now" or seconds since the epoch \(e\.g\. 1700000000\); leave it out for a reproducible date$/,
  );
  expect(() => parseCreationTime("-5")).toThrow(/--creation-time "-5"/);
});

test("--env NAME takes the host's value; an unset NAME is one line", () => {
  const host = { BP_NODE_VERSION: "24.x", EMPTY: "" };
  expect(parseEnvPairs(["BP_NODE_VERSION", "A=b=c", "EMPTY"], "--env", host)).toEqual({
    BP_NODE_VERSION: "24.x",
    A: "b=c",
    EMPTY: "",
  });
  expect(() => parseEnvPairs(["NOPE"], "--env", host)).toThrow(
    /^--env NOPE: NOPE is not set in this environment; set it or give NOPE=VALUE$/,
  );
  expect(() => parseEnvPairs(["1BAD"], "--env", host)).toThrow(/^--env "1BAD" is not KEY=VALUE or NAME$/);
  // An env file has no host to take from: a bare name there is a mistake.
  expect(() => parseEnvPairs(["NAME"], "app.env:")).toThrow(/^app\.env: "NAME" is not KEY=VALUE$/);
});

test("--help lists each pack flag with an example", () => {
  const help = helpText(buildCommand);
  for (const flag of [
    "clear-cache",
    "default-process",
    "tag",
    "env",
    "creation-time",
    "sbom-output-dir",
    "report-output-dir",
    "cache-image",
    "previous-image",
    "buildpack",
    "pre-buildpack",
    "post-buildpack",
    "descriptor",
    "network",
    "pull-policy",
    "exec-env",
  ]) {
    expect(help).toMatch(new RegExp(`--${flag}\\b.*e\\.g\\. --${flag}`));
  }
});

test("bad --platform values stop the build before anything is read: a repeat, an unknown arch", async () => {
  // The app dir, builder and output do not exist: the platforms are checked first.
  for (const [argv, line] of [
    [["--platform", "linux/amd64", "--platform", "linux/amd64"], "--platform linux/amd64 is given twice"],
    [["--platform", "linux/amd64,linux/amd64/"], "--platform linux/amd64 is given twice"],
    [["--platform", "linux/amd64,linux/sparc"], 'unknown arch "sparc"'],
  ] as const) {
    await expect(buildCommand.run(parse(...argv))).rejects.toThrow(line);
  }
});
