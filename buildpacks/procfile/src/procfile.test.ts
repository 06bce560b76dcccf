import { describe, expect, test } from "vitest";
import { parseProcfile, procfileProcesses } from "./procfile.js";

describe("parseProcfile", () => {
  test("types and commands, comments and blank lines skipped", () => {
    const entries = parseProcfile("# app\nweb: node server.js --port $PORT\n\nworker:node jobs.js\r\n");
    expect(entries).toEqual([
      { type: "web", command: "node server.js --port $PORT", line: 2 },
      { type: "worker", command: "node jobs.js", line: 4 },
    ]);
  });
  test("a bad line names Procfile and the line", () => {
    expect(() => parseProcfile("web: ok\nthis is not a process\n")).toThrow(
      /^Procfile:2: expected "<type>: <command>", got "this is not a process"$/,
    );
    expect(() => parseProcfile("web:\n")).toThrow(/^Procfile:1: process "web" has an empty command/);
    expect(() => parseProcfile("web: a\nweb: b\n")).toThrow(/^Procfile:2: process "web" is already defined on line 1/);
  });
  test("processes run with bash -c; web is the default, or a lone process", () => {
    expect(procfileProcesses(parseProcfile("worker: a\nweb: b\n"))).toEqual([
      { type: "worker", command: ["bash", "-c", "a"], default: false },
      { type: "web", command: ["bash", "-c", "b"], default: true },
    ]);
    expect(procfileProcesses(parseProcfile("jobs: x\n"))[0]?.default).toBe(true);
    expect(procfileProcesses(parseProcfile("a: x\nb: y\n")).some((p) => p.default)).toBe(false);
  });
});
