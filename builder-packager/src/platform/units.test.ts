import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { layoutPathOf } from "./app-build/layout-repo.js";
import { BuildFailureTracker, exitMessage, type GroupBuildpack } from "./app-build/lifecycle-exit.js";
import { resolveUser } from "./run.js";

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

/** Feeds `lines` ([stream, text]) to a tracker; returns it and the lines it showed, in order. */
function track(group: GroupBuildpack[], lines: [string, string][]) {
  const t = new BuildFailureTracker(group);
  const shown: string[] = [];
  for (const [stream, text] of lines) t.line(text, stream, () => shown.push(text));
  return { t, shown };
}

test("a failed build names the buildpack that was building and says its error line and hint once", () => {
  const group = [
    { id: "cnbkit/ca-certificates", version: "0.1.0", name: "cnbkit CA Certificates" },
    { id: "cnbkit/nodejs", version: "0.1.0", name: "cnbkit Node.js" },
    { id: "cnbkit/procfile", version: "0.1.0" },
  ];
  const { t, shown } = track(group, [
    ["stdout", ""],
    ["stdout", "cnbkit CA Certificates 0.1.0"],
    ["stdout", ""],
    ["stdout", "cnbkit Node.js 0.1.0"],
    ["stdout", "  Resolving Node.js version"],
    ["stderr", "npm error code EUSAGE"],
    ["stderr", "  error: indented, so some tool's output rather than the buildpack's error line"],
    ["stderr", 'error: package-lock.json: "npm ci" failed (exit 1): out of sync'],
    ["stderr", "  Run npm install and commit package-lock.json."],
    ["stdout", "    (a late stdout line of the buildpack)"],
    ["stderr", "ERROR: failed to build: exit status 1"],
  ]);
  const failure = t.failure();
  expect(failure).toEqual({
    id: "cnbkit/nodejs",
    version: "0.1.0",
    error: 'package-lock.json: "npm ci" failed (exit 1): out of sync',
    hint: "Run npm install and commit package-lock.json.",
  });
  t.flush(); // nothing left: failure() took the held lines
  // Before, the error line was shown and then repeated by the final line.
  expect(shown.filter((l) => l.includes("out of sync") || l.includes("Run npm install"))).toEqual([]);
  expect(shown).toContain("ERROR: failed to build: exit status 1");
  expect(shown).toContain("    (a late stdout line of the buildpack)");
  expect(exitMessage(51, ["ERROR: failed to build: exit status 1"], ["cnbkit/nodejs@0.1.0"], failure)).toBe(
    'cnbkit/nodejs failed to build: package-lock.json: "npm ci" failed (exit 1): out of sync',
  );
});

test("an error line the build went on after is shown where it was, in order", () => {
  const { t, shown } = track(
    [
      { id: "acme/a", version: "1.0.0" },
      { id: "acme/b", version: "1.0.0" },
    ],
    [
      ["stdout", "acme/a 1.0.0"],
      ["stderr", "error: a tool's complaint, not the end"],
      ["stderr", "  its detail"],
      ["stderr", "more output"],
      ["stdout", "acme/b 1.0.0"],
      ["stderr", "error: b's own complaint"],
      ["stdout", "acme/c 1.0.0 (not in the group)"],
    ],
  );
  t.flush(); // the build succeeded after all
  expect(shown).toEqual([
    "acme/a 1.0.0",
    "error: a tool's complaint, not the end",
    "  its detail",
    "more output",
    "acme/b 1.0.0",
    "acme/c 1.0.0 (not in the group)",
    "error: b's own complaint",
  ]);
});

test("a buildpack without a name is matched by id; one without an error line is still named", () => {
  const { t, shown } = track(
    [
      { id: "acme/a", version: "1.0.0" },
      { id: "acme/b", version: "1.0.0" },
    ],
    [
      ["stdout", "acme/a 1.0.0"],
      ["stderr", "error: stale error from acme/a's output"],
      ["stdout", "acme/b 1.0.0"],
    ],
  );
  expect(shown).toEqual(["acme/a 1.0.0", "error: stale error from acme/a's output", "acme/b 1.0.0"]);
  expect(t.failure()).toEqual({ id: "acme/b", version: "1.0.0" });
  expect(exitMessage(51, ["ERROR: failed to build: exit status 3"], [], t.failure())).toBe(
    "acme/b failed to build (exit status 3); its output is above",
  );
});

test("a failed build with no recognisable header keeps the group message and shows the error line", () => {
  const { t, shown } = track(
    [{ id: "acme/sh", version: "2.0.0" }],
    [
      ["stdout", "building with a shell buildpack"],
      ["stderr", "error: something"],
    ],
  );
  expect(t.failure()).toBeUndefined();
  expect(shown).toEqual(["building with a shell buildpack", "error: something"]);
  expect(exitMessage(51, ["ERROR: failed to build: exit status 1"], ["acme/sh@2.0.0"], t.failure())).toBe(
    "a buildpack failed to build (exit status 1) in group acme/sh@2.0.0; its output is above",
  );
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
