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

describe("inferStartCommand and framework output", () => {
  const svelte = { devDependencies: { "@sveltejs/adapter-node": "6.0.1" } };
  test("with no start script, the server a framework's build wrote, named as such", () => {
    expect(inferStartCommand(svelte, "npm", has("build/index.js"))).toEqual({
      command: ["node", "build/index.js"],
      source: "build/index.js",
      framework: "SvelteKit's adapter-node output",
    });
  });
  test("a start script, main or server.js the app has beats the framework's output", () => {
    expect(
      inferStartCommand({ ...svelte, scripts: { start: "node x.js" } }, "npm", has("build/index.js"))?.source,
    ).toBe("package.json scripts.start");
    expect(inferStartCommand({ ...svelte, main: "app.js" }, "npm", has("build/index.js", "app.js"))?.source).toBe(
      "package.json main",
    );
    expect(inferStartCommand(svelte, "npm", has("build/index.js", "server.js"))?.source).toBe("server.js");
  });
});

describe("no start script: a production start script, then serve", () => {
  // NestJS's starters: "start": "nest start" is often renamed or dropped; "start:prod": "node dist/main" is what runs.
  test.each([
    [{ "start:prod": "node dist/main", "start:production": "node x" }, has("index.js"), ["npm", "run", "start:prod"]],
    [{ "start:production": "node dist/main" }, has("index.js"), ["npm", "run", "start:production"]],
    [{ serve: "node dist/server.js" }, has(), ["npm", "run", "serve"]],
    // serve comes after a file the app has: it is often a dev server (vue-cli-service serve).
    [{ serve: "vue-cli-service serve" }, has("server.js"), ["node", "server.js"]],
  ])("%j", (scripts, exists, command) => {
    const start = inferStartCommand({ scripts }, "npm", exists);
    expect(start?.command).toEqual(command);
    if (command[0] === "npm") expect(start?.note).toBe('package.json has no "start" script');
  });
});
