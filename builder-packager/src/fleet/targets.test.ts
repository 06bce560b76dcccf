import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parseTarget, targetsFromFile } from "./targets.js";

test.each([
  ["127.0.0.1:5000", { kind: "catalog", registry: "127.0.0.1:5000", prefix: "" }],
  ["127.0.0.1:5000/", { kind: "catalog", registry: "127.0.0.1:5000", prefix: "" }],
  ["registry.example.com/team-a/", { kind: "catalog", registry: "registry.example.com", prefix: "team-a/" }],
  [
    "registry.example.com/team-a/app",
    { kind: "repository", registry: "registry.example.com", repository: "team-a/app" },
  ],
  ["localhost:5000/app:1.2", { kind: "image", registry: "localhost:5000", repository: "app", reference: "1.2" }],
  [
    `reg.io/a/b@sha256:${"a".repeat(64)}`,
    { kind: "image", registry: "reg.io", repository: "a/b", reference: `sha256:${"a".repeat(64)}` },
  ],
  ["oci:/srv/images:web", { kind: "layout", path: "/srv/images", reference: "web" }],
])("%s", (input, want) => {
  expect(parseTarget(input)).toEqual(want);
});

test("a name without a registry host is one line naming the forms", () => {
  expect(() => parseTarget("team-a/app")).toThrow(/^fleet target "team-a\/app" does not start with a registry host$/);
});

test("--images-from: one a line, comments and blank lines skipped; a bad line names the file and line", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-fleet-targets-"));
  try {
    const file = join(dir, "images.txt");
    await writeFile(file, "# prod\nreg.io/a/app:1\n\nreg.io/b/   # all of team b\n");
    expect((await targetsFromFile(file)).map((t) => t.kind)).toEqual(["image", "catalog"]);
    await writeFile(file, "reg.io/a/app:1\nnot a target\n");
    await expect(targetsFromFile(file)).rejects.toThrow(new RegExp(`^${file}:2: fleet target "not a target"`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
