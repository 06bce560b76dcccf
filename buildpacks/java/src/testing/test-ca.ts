/**
 * A throwaway certificate authority for the trust tests (build-time CA trust in Maven and
 * Gradle, the launch-time truststore): openssl writes `ca.key` and `ca.pem` into `dir`.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/**
 * Runs `openssl <args>` in `dir`; throws with openssl's stderr when it fails.
 *
 * @example
 * openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1");
 */
export function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
}

/**
 * Makes a self-signed CA named `commonName` in `dir`, valid for 2 days; returns its PEM's path.
 *
 * @example
 * const pem = makeTestCa(dir, "cnbkit test CA"); // <dir>/ca.pem, key in <dir>/ca.key
 */
export function makeTestCa(dir: string, commonName: string): string {
  const subject = `/CN=${commonName}`;
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    subject,
  );
  return join(dir, "ca.pem");
}
