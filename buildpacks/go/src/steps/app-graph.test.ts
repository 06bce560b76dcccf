import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { StepContext } from "@cnbkit/framework";
import { expect, onTestFinished, test } from "vitest";
import { appGraph } from "./app-graph.js";
import { readApp } from "./read-app.js";

const MAIN = (greeting: string, imports = '"fmt"') =>
  `// Copyright 2026 Acme.\npackage main\n\nimport (\n\t${imports}\n)\n\nfunc main() { fmt.Println("${greeting}") }\n`;

/** Reads `files` as an app and returns its graph digest. */
async function graphOf(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-go-app-graph-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return appGraph(await readApp({ app: { path: dir } } as StepContext<"app">));
}

test("the graph digest changes with an import, a .go file or a module file, not with an edit below the imports or a test", async () => {
  const app = { "go.mod": "module example.com/a\n\ngo 1.26\n", "go.sum": "", "main.go": MAIN("hello") };
  const base = await graphOf(app);
  expect(
    await graphOf({ ...app, "main.go": MAIN("hello again"), "main_test.go": 'package main\n\nimport "os"\n' }),
  ).toBe(base);
  const changes: Record<string, string>[] = [
    { "main.go": MAIN("hello", '"fmt"\n\t"os"') },
    { "main.go": `//go:build linux\n\n${MAIN("hello")}` },
    { "go.sum": "example.com/b v1.0.0 h1:x=\n" },
    { "internal/c/c.go": "package c\n" },
    { "vendor/modules.txt": "# example.com/b v1.0.0\n" },
  ];
  for (const changed of changes) {
    expect(await graphOf({ ...app, ...changed }), JSON.stringify(changed)).not.toBe(base);
  }
});
