import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { dirname, join } from "node:path";
import type { StepContext } from "@cnbkit/framework";
import { expect, test, vi } from "vitest";
import { tempDirPerTest } from "../../../../test/support/temp-dir.js";

// Every read of a file's contents, by either way the build reads (the digest's and the
// fallback's). The setup file loaded the framework before these mocks: the test imports the
// modules afresh (vi.resetModules), so they and the framework's treeDigest read through them.
vi.mock("node:fs/promises", async (real) => {
  const m = await real<typeof import("node:fs/promises")>();
  return { ...m, readFile: vi.fn(m.readFile) };
});
vi.mock("node:fs", async (real) => {
  const m = await real<typeof import("node:fs")>();
  return { ...m, readFileSync: vi.fn(m.readFileSync) };
});

let dir: string;
tempDirPerTest("go-read-app", (d) => {
  dir = d;
});

const MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n';

test("a compile reads each file of the app once, for the digest, the mains and the graph alike", async () => {
  const app: Record<string, string> = {
    "go.mod": "module example.com/a\n\ngo 1.26\n",
    "go.sum": "",
    "cmd/api/main.go": MAIN,
    "cmd/api/main_test.go": "package main\n",
    "internal/big/table.go": `package big\n\nvar T = []byte("${"x".repeat(1 << 20)}")\n`,
    "tools/gen.go": "//go:build ignore\n\npackage main\n",
    "README.md": "# a\n",
  };
  for (const [path, text] of Object.entries(app)) {
    await fsp.mkdir(dirname(join(dir, path)), { recursive: true });
    await fsp.writeFile(join(dir, path), text);
  }
  await fsp.symlink("cmd/api/main.go", join(dir, "linked.go"));
  vi.resetModules();
  const { readApp } = await import("./read-app.js");
  const { appGraph } = await import("./app-graph.js");
  vi.mocked(fsp.readFile).mockClear();
  vi.mocked(fs.readFileSync).mockClear();

  const read = await readApp({ app: { path: dir } } as StepContext<"app">);
  appGraph(read);

  const reads = [...vi.mocked(fsp.readFile).mock.calls, ...vi.mocked(fs.readFileSync).mock.calls]
    .map(([path]) => String(path).slice(dir.length + 1))
    .sort();
  // Each once: by the digest, but for the large file (the digest streams it, unseen) and the
  // link (the digest hashes its target's name), which readApp reads itself.
  expect(reads).toEqual([...Object.keys(app), "linked.go"].sort());
  expect(read.mains).toEqual(["cmd/api"]);
  expect(read.heads.get("linked.go")?.package).toBe("main");
  expect(read.heads.get("internal/big/table.go")?.package).toBe("big");
  expect(read.mod?.module).toBe("example.com/a");
});
