/**
 * Test support for any stage: the real cosign (built from its Go module by
 * scripts/fetch-cosign.sh into ~/.cache/cnbkit/cosign/<version>/), run as a child process
 * with no transparency log (none is reachable here) and a key pair it made itself.
 */
import { execFile, execFileSync } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../../..");
const VERSION = process.env.CNBKIT_COSIGN_VERSION ?? "2.6.5";

/** The cosign binary, built first if missing. */
export function cosignBinary(): string {
  execFileSync("bash", [join(ROOT, "scripts", "fetch-cosign.sh")], { stdio: "inherit" });
  const cache = process.env.CNBKIT_CACHE ?? join(process.env.HOME ?? "/root", ".cache", "cnbkit");
  return join(cache, "cosign", VERSION, "cosign");
}

/** What a cosign run said. */
export interface CosignResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs cosign (async, so registries served by the test process keep answering). Offline
 * flags are the caller's: `--insecure-ignore-tlog` for verify, `--tlog-upload=false` to sign.
 */
export function cosign(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CosignResult> {
  const bin = cosignBinary();
  return new Promise((done) => {
    execFile(
      bin,
      args,
      { cwd, env: { ...process.env, COSIGN_YES: "true", SIGSTORE_NO_CACHE: "true", ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}

/** `cosign generate-key-pair` in `dir` with `password`: returns the paths of cosign.key and cosign.pub. */
export async function cosignKeyPair(dir: string, password: string): Promise<{ key: string; pub: string }> {
  const r = await cosign(["generate-key-pair"], { COSIGN_PASSWORD: password }, dir);
  if (r.code !== 0) throw new Error(`cosign generate-key-pair failed: ${r.stderr}`);
  return { key: join(dir, "cosign.key"), pub: join(dir, "cosign.pub") };
}
