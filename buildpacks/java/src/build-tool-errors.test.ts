import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createLogger } from "@cnbkit/framework/log";
import { expect, test } from "vitest";
import { tempDirPerFile } from "../../../test/support/temp-dir.js";
import { runTool } from "@cnbkit/framework/process";
import { explainMissingProgram, mavenErrorLine, missingCommand } from "./build-tool-errors.js";

let dir: string;
tempDirPerFile("java-run-tool", (d) => {
  dir = d;
});

test.each([
  ["dash", "/workspace/mvnw: 13: curl: not found", "curl"],
  ["bash", "./mvnw: line 13: wget: command not found", "wget"],
  ["Maven's own output", "[ERROR] Plugin not found: x", undefined],
  ["a file", "cat: pom.xml: No such file or directory", undefined],
])("missing command from %s", (_name, line, command) => {
  expect(missingCommand(line)).toBe(command);
});

/** Runs a wrapper script made of `body` as the Maven step runs ./mvnw; resolves with its error. */
async function runWrapper(name: string, body: string): Promise<(Error & { hint?: string }) | undefined> {
  const script = join(dir, name);
  await writeFile(script, `#!/bin/sh\n${body}`);
  await chmod(script, 0o755);
  return runTool([script], {
    cwd: dir,
    env: { PATH: process.env.PATH },
    log: createLogger({ sink: () => {}, color: false }),
    what: "Maven build",
    errorLine: mavenErrorLine,
    explain: explainMissingProgram("Maven build", mavenErrorLine),
  }).then(
    () => undefined,
    (e: unknown) => e as Error & { hint?: string },
  );
}

test("a wrapper script that calls a program the image lacks fails naming it, with a hint", async () => {
  // As micronaut-petclinic's hand-written mvnw does: curl piped into tar.
  const err = await runWrapper("mvnw", "set -e\nno-such-curl-cnbkit -fsSL https://x | tar -xzf -\n");
  expect(err?.message).toMatch(/^Maven build failed \(exit \d+\): no-such-curl-cnbkit is not in the build image$/);
  expect(err?.hint).toContain("the official Maven and Gradle wrappers download with Java");
});

test("Maven's own [ERROR] line still wins over a missing command", async () => {
  const err = await runWrapper("mvnw2", "no-such-tool-cnbkit\necho '[ERROR] the real error'\nexit 1\n");
  expect(err?.message).toBe("Maven build failed (exit 1): the real error");
});

test("Maven's first cause, not the COMPILATION ERROR header above it (an old app's source 1.7 on JDK 21)", async () => {
  const output = [
    "[INFO] Compiling 3 source files to /workspace/target/classes",
    "[INFO] -------------------------------------------------------------",
    "[ERROR] COMPILATION ERROR : ",
    "[INFO] -------------------------------------------------------------",
    "[ERROR] Source option 7 is no longer supported. Use 8 or later.",
    "[ERROR] Target option 7 is no longer supported. Use 8 or later.",
    "[INFO] 2 errors ",
  ];
  const err = await runWrapper("mvnw3", `cat <<'OUT'\n${output.join("\n")}\nOUT\nexit 1\n`);
  expect(err?.message).toBe("Maven build failed (exit 1): Source option 7 is no longer supported. Use 8 or later.");
});

test.each([
  ["[ERROR] COMPILATION ERROR : ", undefined],
  ["[ERROR] ", undefined],
  ["[INFO] BUILD FAILURE", undefined],
  [
    "[ERROR] /workspace/src/main/java/A.java:[3,8] cannot find symbol",
    "/workspace/src/main/java/A.java:[3,8] cannot find symbol",
  ],
  ["[ERROR] Failed to execute goal x: Compilation failure:", "Failed to execute goal x: Compilation failure:"],
])("mavenErrorLine(%j)", (line, picked) => {
  expect(mavenErrorLine(line, "")).toBe(picked);
});
