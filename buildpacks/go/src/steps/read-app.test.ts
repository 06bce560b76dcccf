import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { StepContext } from "@cnbkit/framework";
import { expect, onTestFinished, test } from "vitest";
import { readApp } from "./read-app.js";

const MAIN = (greeting: string, imports = '"fmt"') =>
  `// ${"License. ".repeat(1200)}\npackage main\n\nimport (\n\t${imports}\n)\n\nfunc main() { fmt.Println("${greeting}") }\n`;

/** Reads `files` as an app. */
async function read(files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-go-read-app-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return readApp({ app: { path: dir } } as StepContext<"app">);
}

test("the graph digest changes with an import or a module file, not with an edit below the imports or a test", async () => {
  const app = { "go.mod": "module example.com/a\n\ngo 1.26\n", "go.sum": "", "main.go": MAIN("hello") };
  const base = await read(app);
  // A 10 KB license header: the package clause is still found.
  expect(base.mains).toEqual(["."]);
  const body = await read({ ...app, "main.go": MAIN("hello again"), "main_test.go": 'package main\n\nimport "os"\n' });
  expect(body.graph).toBe(base.graph);
  expect(body.digest).not.toBe(base.digest);
  const changes: Record<string, string>[] = [
    { "main.go": MAIN("hello", '"fmt"\n\t"os"') },
    { "go.sum": "example.com/b v1.0.0 h1:x=\n" },
    { "internal/c/c.go": "package c\n" },
    { "vendor/modules.txt": "# example.com/b v1.0.0\n" },
  ];
  for (const changed of changes) {
    expect((await read({ ...app, ...changed })).graph, JSON.stringify(changed)).not.toBe(base.graph);
  }
});
