/**
 * Step: credentials for private modules, for the build's go commands only. A binding of type
 * `netrc` (a `.netrc` or `netrc` entry: `machine git.example.com login x password y`) is
 * handed to the go command as NETRC, read where the platform mounted it, and to git (which
 * go runs for a GOPRIVATE module without a proxy) as the `.netrc` of a HOME made for the
 * build in a temp dir. Nothing is copied into a layer, so no credential reaches the image or
 * the cache. GOPRIVATE, GONOSUMDB, GOPROXY and the rest come from the build env as they are.
 */
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError, type StepContext } from "@cnbkit/framework";

/** The env the go command gets for the credentials, and how to remove the temp HOME. */
export interface GoCredentials {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** The `netrc` binding's file as NETRC (and a temp HOME's .netrc), or nothing without one. */
export async function goCredentials(ctx: StepContext<"platform" | "log">): Promise<GoCredentials> {
  const bindings = ctx.platform.bindings.byType("netrc");
  if (bindings.length === 0) return { env: {}, dispose: async () => {} };
  if (bindings.length > 1) {
    throw new CnbError(
      `bindings: ${bindings.length} bindings of type netrc (${bindings.map((b) => b.name).join(", ")}); the go command reads one .netrc`,
      { hint: "Put every machine line in one binding's .netrc" },
    );
  }
  const binding = bindings[0]!;
  const entry = binding.entries.find((e) => e === ".netrc" || e === "netrc");
  if (!entry) {
    throw new CnbError(`binding "${binding.name}" (type netrc) has no .netrc or netrc entry`, {
      hint: "Name the file in the binding .netrc",
    });
  }
  const file = join(binding.path, entry);
  const home = await mkdtemp(join(tmpdir(), "cnbkit-go-home-"));
  await symlink(file, join(home, ".netrc"));
  ctx.log.detail(`Private modules: credentials from binding "${binding.name}" (build only, never in a layer)`);
  return {
    env: { NETRC: file, HOME: home, GIT_TERMINAL_PROMPT: "0" },
    dispose: () => rm(home, { recursive: true, force: true }),
  };
}
