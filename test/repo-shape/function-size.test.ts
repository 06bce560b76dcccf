/**
 * scripts/check-function-size.mjs (`npm run lint:function-size`) on made-up files: a function
 * of 80 lines and 6 parameters passes; one line or one parameter more fails with a line that
 * names the file, the function (a method by its class, an arrow by its variable) and the bar.
 * The real tree against the real allowlist is lint's job.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, onTestFinished, test } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = join(ROOT, "scripts/check-function-size.mjs");

/** A function declaration `name` with `params` parameters that spans `lines` lines. */
function fn(name: string, lines: number, params = 1): string {
  const args = Array.from({ length: params }, (_, i) => `a${i}: number`).join(", ");
  const body = Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i};`);
  return [`/** Why ${name}. */`, `export function ${name}(${args}): void {`, ...body, "}"].join("\n");
}

/** Runs the check on one file holding `text`; its exit status and error lines, paths from the file. */
async function check(text: string): Promise<{ status: number | null; errors: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-fnsize-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "code.ts");
  await writeFile(file, text);
  const r = spawnSync(process.execPath, [SCRIPT, file], { encoding: "utf8" });
  const prefix = `error: ${relative(ROOT, file)}: `;
  return {
    status: r.status,
    errors: r.stderr
      .split("\n")
      .filter((l) => l.startsWith("error: "))
      .map((l) => l.replace(prefix, "")),
  };
}

test("80 lines and 6 parameters pass; the doc comment above does not count", async () => {
  expect(await check(fn("atTheBar", 80, 6))).toEqual({ status: 0, errors: [] });
});

test("81 lines or 7 parameters fail, named as a reader finds them", async () => {
  const text = [
    fn("tooLong", 81),
    fn("tooMany", 3, 7),
    "export class Store {",
    "  put(a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7): void {}",
    "}",
    "export const arrow = (a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7) => a;",
    "export function withThis(this: Store, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6): void {}",
  ].join("\n");
  const r = await check(text);
  expect(r.status).toBe(1);
  expect(r.errors).toEqual([
    "tooLong: 81 lines (over 80)",
    "tooMany: 7 parameters (over 6)",
    "Store.put: 7 parameters (over 6)",
    "arrow: 7 parameters (over 6)",
  ]);
});
