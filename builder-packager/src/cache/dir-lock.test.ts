import { spawnSync } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../../../test/support/temp-dir.js";
import { withDirLock } from "./dir-lock.js";

let root: string;
tempDirPerTest("dir-lock", (d) => {
  root = d;
});

/** A pid no process has now (a child that has exited and been reaped). */
const deadPid = () => Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());

test("a dead owner's lock is taken over, the waiters hold it one at a time, and nothing is left aside", async () => {
  const lock = join(root, "entry.lock");
  await mkdir(lock);
  await writeFile(join(lock, "pid"), `${deadPid()}\n`);
  let holders = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      withDirLock(lock, async () => {
        holders++;
        most = Math.max(most, holders);
        await new Promise((r) => setTimeout(r, 5));
        order.push(i);
        holders--;
      }),
    ),
  );
  expect(most).toBe(1);
  expect(order).toHaveLength(8);
  expect(await readdir(root)).toEqual([]);
});
