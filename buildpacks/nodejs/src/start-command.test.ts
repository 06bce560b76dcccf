import { describe, expect, test } from "vitest";
import { inferStartCommand } from "./start-command.js";

const has =
  (...files: string[]) =>
  (f: string) =>
    files.includes(f);

describe("inferStartCommand", () => {
  test("the start script runs through the package manager", () => {
    expect(inferStartCommand({ scripts: { start: "node s.js" } }, "yarn", has())).toEqual({
      command: ["yarn", "start"],
      source: "package.json scripts.start",
    });
  });
  test("main is next, with .js and /index.js resolution", () => {
    expect(inferStartCommand({ main: "./lib/app" }, "npm", has("lib/app.js", "server.js"))?.command).toEqual([
      "node",
      "lib/app.js",
    ]);
    expect(inferStartCommand({ main: "dist" }, "npm", has("dist/index.js"))?.command).toEqual([
      "node",
      "dist/index.js",
    ]);
  });
  test("a main that does not exist falls back to the usual files", () => {
    expect(inferStartCommand({ main: "gone.js" }, "npm", has("index.js", "app.js"))).toEqual({
      command: ["node", "index.js"],
      source: "index.js",
    });
  });
  test("server.js beats index.js; nothing → undefined", () => {
    expect(inferStartCommand(undefined, "npm", has("index.js", "server.js"))?.command).toEqual(["node", "server.js"]);
    expect(inferStartCommand({}, "npm", has("README.md"))).toBeUndefined();
  });
});
