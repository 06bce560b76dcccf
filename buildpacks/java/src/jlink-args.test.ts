import { expect, test } from "vitest";
import { DEFAULT_JLINK_ARGS, jlinkArguments } from "./jlink-args.js";

const MODULES = ["jdk.jfr", "java.sql", "java.base", "jdk.jdwp.agent", "java.logging"];

test("the defaults, with every java.* module of the JDK (Paketo's jlink.go)", () => {
  expect(jlinkArguments({}, MODULES)).toEqual({
    args: [...DEFAULT_JLINK_ARGS.split(" "), "--add-modules", "java.base,java.logging,java.sql"],
    droppedOutput: false,
    addedModules: true,
  });
});

test("the user's modules are kept as given; their --output is dropped", () => {
  const r = jlinkArguments(
    { BP_JVM_JLINK_ARGS: "--strip-debug --add-modules java.base,jdk.jdwp.agent --output /tmp/x" },
    MODULES,
  );
  expect(r).toEqual({
    args: ["--strip-debug", "--add-modules", "java.base,jdk.jdwp.agent"],
    droppedOutput: true,
    addedModules: false,
  });
  expect(jlinkArguments({ BP_JVM_JLINK_ARGS: "--add-modules=java.base --output=/x" }, MODULES).args).toEqual([
    "--add-modules=java.base",
  ]);
});

test("args with no modules get the JDK's java.* ones added", () => {
  expect(jlinkArguments({ BP_JVM_JLINK_ARGS: "--compress=2" }, MODULES).args).toEqual([
    "--compress=2",
    "--add-modules",
    "java.base,java.logging,java.sql",
  ]);
});
