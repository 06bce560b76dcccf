/**
 * The source of a build when the app dir is a git checkout: the commit, the remote it came
 * from, and whether the tree had changes the commit lacks. Asked of git itself (as CI users
 * have it); without git or outside a checkout, provenance names the source tree's digest.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { SourceFacts } from "./provenance.js";

const run = promisify(execFile);

async function git(dir: string, ...args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["-C", dir, ...args], { timeout: 10_000, maxBuffer: 1 << 20 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * The git facts of `appDir`, or undefined when it is not the top of (or inside) a checkout
 * with a commit. The remote is `origin`'s URL, else the first remote's; credentials in it
 * (`https://user:token@host/…`) are dropped.
 */
export async function gitSource(appDir: string): Promise<Extract<SourceFacts, { kind: "git" }> | undefined> {
  const commit = await git(appDir, "rev-parse", "--verify", "HEAD");
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const remotes = ((await git(appDir, "remote")) ?? "").split("\n").filter(Boolean);
  const remote = remotes.includes("origin") ? "origin" : remotes[0];
  const url = remote ? await git(appDir, "remote", "get-url", remote) : undefined;
  const status = await git(appDir, "status", "--porcelain", "--untracked-files=normal", "--", ".");
  return {
    kind: "git",
    uri: url?.replace(/^(https?:\/\/)[^@/]+@/, "$1"),
    commit,
    dirty: Boolean(status),
  };
}
