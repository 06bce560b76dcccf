import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { layoutPathOf } from "./layout-repo.js";
import { BuildFailureTracker, exitMessage } from "./lifecycle-exit.js";
import { resolveUser } from "./run.js";
import { copyWorkspace, patternMatcher, readProjectDescriptor } from "./workspace.js";

test("layout paths follow imgutil's ParseRefToPath", () => {
  expect(layoutPathOf("cnbkit.local/app:v1")).toBe("cnbkit.local/app/v1");
  expect(layoutPathOf("cnbkit.local/app")).toBe("cnbkit.local/app/latest");
  expect(layoutPathOf("ubuntu")).toBe("index.docker.io/library/ubuntu/latest");
  expect(layoutPathOf("acme/run:1")).toBe("index.docker.io/acme/run/1");
  expect(layoutPathOf("127.0.0.1:5000/a/b@sha256:abc")).toBe("127.0.0.1:5000/a/b/sha256/abc");
});

test("lifecycle exit codes become one line", () => {
  expect(exitMessage(20, ["======== Results ========", "fail: acme/node@1.0.0", "fail: acme/python@2.0.0"])).toBe(
    "no buildpack group passed detection (ran: acme/node@1.0.0, acme/python@2.0.0)",
  );
  expect(exitMessage(51, ["ERROR: failed to build: exit status 7"], ["acme/node@1.0.0"])).toBe(
    "a buildpack failed to build (exit status 7) in group acme/node@1.0.0; its output is above",
  );
  expect(exitMessage(62, ["ERROR: failed to export: disk full"])).toBe(
    "export failed (lifecycle exit code 62): failed to export: disk full",
  );
});

test("a failed build names the buildpack that was building and repeats its error line", () => {
  const group = [
    { id: "cnbkit/ca-certificates", version: "0.1.0", name: "cnbkit CA Certificates" },
    { id: "cnbkit/nodejs", version: "0.1.0", name: "cnbkit Node.js" },
    { id: "cnbkit/procfile", version: "0.1.0" },
  ];
  const t = new BuildFailureTracker(group);
  for (const line of [
    "",
    "cnbkit CA Certificates 0.1.0",
    "",
    "cnbkit Node.js 0.1.0",
    "  Resolving Node.js version",
    "npm error code EUSAGE",
    'error: package-lock.json: "npm ci --omit=dev" failed (exit 1): out of sync',
    "  error: indented, so some tool's output rather than the buildpack's error line",
    "ERROR: failed to build: exit status 1",
  ]) {
    t.line(line);
  }
  const failure = t.failure();
  expect(failure).toEqual({
    id: "cnbkit/nodejs",
    version: "0.1.0",
    error: 'package-lock.json: "npm ci --omit=dev" failed (exit 1): out of sync',
  });
  expect(exitMessage(51, ["ERROR: failed to build: exit status 1"], ["cnbkit/nodejs@0.1.0"], failure)).toBe(
    'cnbkit/nodejs failed to build: package-lock.json: "npm ci --omit=dev" failed (exit 1): out of sync',
  );
});

test("a buildpack without a name is matched by id; one without an error line is still named", () => {
  const t = new BuildFailureTracker([
    { id: "acme/a", version: "1.0.0" },
    { id: "acme/b", version: "1.0.0" },
  ]);
  t.line("acme/a 1.0.0");
  t.line("error: stale error from acme/a's output");
  t.line("acme/b 1.0.0");
  expect(t.failure()).toEqual({ id: "acme/b", version: "1.0.0" });
  expect(exitMessage(51, ["ERROR: failed to build: exit status 3"], [], t.failure())).toBe(
    "acme/b failed to build (exit status 3); its output is above",
  );
});

test("a failed build with no recognisable header keeps the group message", () => {
  const t = new BuildFailureTracker([{ id: "acme/sh", version: "2.0.0" }]);
  t.line("building with a shell buildpack");
  t.line("error: something");
  expect(t.failure()).toBeUndefined();
  expect(exitMessage(51, ["ERROR: failed to build: exit status 1"], ["acme/sh@2.0.0"], t.failure())).toBe(
    "a buildpack failed to build (exit status 1) in group acme/sh@2.0.0; its output is above",
  );
});

test("gitignore-style patterns", () => {
  expect(patternMatcher("*.key")("a/b/c.key", false)).toBe(true);
  expect(patternMatcher("/secret")("a/secret", false)).toBe(false);
  expect(patternMatcher("/secret")("secret", false)).toBe(true);
  expect(patternMatcher("node_modules/")("x/node_modules", true)).toBe(true);
  expect(patternMatcher("node_modules/")("x/node_modules", false)).toBe(false);
  expect(patternMatcher("src/**/*.ts")("src/a/b/c.ts", false)).toBe(true);
  expect(patternMatcher("src/**/*.ts")("lib/c.ts", false)).toBe(false);
});

test("project.toml include copies only what it names, owned by the CNB user", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-ws-"));
  const app = join(dir, "app");
  await mkdir(join(app, "src/deep"), { recursive: true });
  await mkdir(join(app, "docs"), { recursive: true });
  await writeFile(join(app, "src/deep/a.js"), "a");
  await writeFile(join(app, "docs/x.md"), "x");
  await writeFile(join(app, "package.json"), "{}");
  await writeFile(
    join(app, "project.toml"),
    '[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["src/", "package.json"]\n[[io.buildpacks.build.env]]\nname = "A"\nvalue = "1"\n',
  );
  const project = await readProjectDescriptor(app);
  expect(project.env).toEqual({ A: "1" });
  const n = await copyWorkspace(app, join(dir, "ws"), project, { uid: 1000, gid: 1000 });
  expect(n).toBe(3);
  expect((await readdir(join(dir, "ws"))).sort()).toEqual(["package.json", "project.toml", "src"]);
  expect((await stat(join(dir, "ws/src/deep/a.js"))).uid).toBe(1000);
  await rm(dir, { recursive: true });
});

test("project.toml with both include and exclude is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-ws-"));
  await writeFile(join(dir, "project.toml"), '[io.buildpacks]\ninclude = ["a"]\nexclude = ["b"]\n');
  await expect(readProjectDescriptor(dir)).rejects.toThrow(/include or exclude, not both/);
  await rm(dir, { recursive: true });
});

test("image users resolve by number or name", async () => {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-user-"));
  await mkdir(join(root, "etc"));
  await writeFile(join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\ncnb:x:1000:1001::/home/cnb:/bin/sh\n");
  await writeFile(join(root, "etc/group"), "root:x:0:\ncnb:x:1001:\n");
  expect(await resolveUser(root, "1000:1000")).toEqual({ uid: 1000, gid: 1000 });
  expect(await resolveUser(root, "1000")).toEqual({ uid: 1000, gid: 1001 });
  expect(await resolveUser(root, "cnb")).toEqual({ uid: 1000, gid: 1001 });
  expect(await resolveUser(root, "cnb:cnb")).toEqual({ uid: 1000, gid: 1001 });
  expect(await resolveUser(root, undefined)).toEqual({ uid: 0, gid: 0 });
  await expect(resolveUser(root, "nobody")).rejects.toThrow(/not in the image's \/etc\/passwd/);
  await rm(root, { recursive: true });
});
