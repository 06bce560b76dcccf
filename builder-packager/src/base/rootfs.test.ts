import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { withDirLock } from "../cache/index.js";
import { baseRootfsSpecs } from "./images.js";
import { type DebianRootfsSpec, ensureDebianRootfs, rootfsKey } from "./rootfs.js";

// The default run image's recipe (Debian 13), so this test and images.test.ts share one debootstrap.
const runSpec: DebianRootfsSpec = baseRootfsSpecs("amd64").run;

describe("rootfsKey", () => {
  test("ignores package order and duplicates but not the package set, arch or mirror", () => {
    const key = rootfsKey(runSpec);
    expect(rootfsKey({ ...runSpec, packages: [...runSpec.packages].reverse().concat("tzdata") })).toBe(key);
    expect(rootfsKey({ ...runSpec, packages: [...runSpec.packages, "git"] })).not.toBe(key);
    expect(rootfsKey({ ...runSpec, arch: "arm64" })).not.toBe(key);
    expect(rootfsKey(runSpec, "http://mirror.example/debian")).not.toBe(key);
  });
});

describe("withDirLock", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cnbkit-lock-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("lets one caller in at a time; the others wait and say so", async () => {
    const lock = join(dir, "a.lock");
    let inside = 0;
    let most = 0;
    let waits = 0;
    const work = () =>
      withDirLock(
        lock,
        async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 50));
          inside--;
          return inside;
        },
        { pollMs: 10, onWait: () => waits++ },
      );
    await Promise.all([work(), work(), work()]);
    expect(most).toBe(1);
    expect(waits).toBe(2);
    await expect(stat(lock)).rejects.toThrow(); // released
  });

  test("takes over a lock whose owner died", async () => {
    const lock = join(dir, "b.lock");
    // A real process that has exited: its pid is free (or reused by something we can signal, which we then wait on).
    const dead = Number(execFileSync("sh", ["-c", "sh -c 'echo $$' "]).toString().trim());
    execFileSync("mkdir", [lock]);
    execFileSync("sh", ["-c", `echo ${dead} > ${lock}/pid`]);
    const got = await withDirLock(lock, async () => readFile(join(lock, "pid"), "utf8"), { pollMs: 10 });
    expect(got.trim()).toBe(String(process.pid));
  });

  test("does not take over a fresh lock whose pid file is still empty (its owner is about to write it)", async () => {
    const lock = join(dir, "d.lock");
    execFileSync("mkdir", [lock]);
    execFileSync("touch", [join(lock, "pid")]);
    let entered = false;
    const waiting = withDirLock(
      lock,
      async () => {
        entered = true;
      },
      { pollMs: 10 },
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(entered).toBe(false);
    execFileSync("rm", ["-r", lock]); // the owner releases it
    await waiting;
    expect(entered).toBe(true);
  });

  test("releases the lock when the work fails", async () => {
    const lock = join(dir, "c.lock");
    await expect(
      withDirLock(lock, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await expect(stat(lock)).rejects.toThrow();
  });
});

describe("ensureDebianRootfs", () => {
  test("the run rootfs is a clean trixie with the cnb user, built once for concurrent callers", {
    timeout: 1_200_000,
  }, async () => {
    const lines: string[] = [];
    const onProgress = (l: string) => lines.push(l);
    const [a, b] = await Promise.all([
      ensureDebianRootfs(runSpec, { onProgress }),
      ensureDebianRootfs(runSpec, { onProgress }),
    ]);
    expect(a).toBe(b);
    expect(lines.filter((l) => l.startsWith("Building rootfs")).length).toBeLessThanOrEqual(1);

    expect(await readFile(join(a, "etc/os-release"), "utf8")).toContain("VERSION_CODENAME=trixie");
    expect(await readFile(join(a, "etc/passwd"), "utf8")).toMatch(/^cnb:x:1000:1000::\/home\/cnb:\/bin\/bash$/m);
    expect(await readFile(join(a, "etc/group"), "utf8")).toMatch(/^cnb:x:1000:$/m);
    const home = await stat(join(a, "home/cnb"));
    expect([home.uid, home.gid]).toEqual([1000, 1000]);
    expect((await readdir(join(a, "etc/ssl/certs"))).length).toBeGreaterThan(100);
    expect(await readdir(join(a, "var/lib/apt/lists"))).toEqual(["partial"]);
    expect(await readdir(join(a, "var/lib/apt/lists/partial"))).toEqual([]);
    expect((await readdir(join(a, "var/cache/apt/archives"))).filter((n) => n !== "partial" && n !== "lock")).toEqual(
      [],
    );
    expect(await readdir(join(a, "dev"))).toEqual([]);
    expect(await readFile(join(a, "etc/machine-id"), "utf8")).toBe("");
    expect(await readFile(join(a, "etc/resolv.conf"), "utf8")).toBe("");
    expect(await readFile(join(a, "etc/hostname"), "utf8")).toBe("localhost\n");
    expect((await stat(join(a, "etc/hostname"))).mode & 0o777).toBe(0o644);
    for (const log of ["dpkg.log", "bootstrap.log"]) expect((await stat(join(a, "var/log", log))).size).toBe(0);
    // the setuid bit survives (the layer writer must keep it too)
    expect((await stat(join(a, "usr/bin/su"))).mode & 0o4000).toBe(0o4000);
  });
});
