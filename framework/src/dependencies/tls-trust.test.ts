import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CnbError, formatError } from "../errors/index.js";
import { download } from "./download.js";
import { tlsCertCode } from "./tls-trust.js";

const body = Buffer.from("go toolchain ".repeat(1000));
const sha256 = createHash("sha256").update(body).digest("hex");

/** Real HTTPS servers on 127.0.0.1 whose certificates the build does not trust, as a TLS-inspecting proxy's. */
let dir: string;
const servers: Server[] = [];
let connections = 0;

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

async function serve(key: string, cert: string): Promise<string> {
  const server = createServer(
    { key: await readFile(join(dir, key)), cert: await readFile(join(dir, cert)) },
    (_q, res) => res.end(body),
  );
  server.on("secureConnection", () => connections++);
  server.on("tlsClientError", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let selfSigned: string;
let privateCa: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  // A leaf that signs itself (DEPTH_ZERO_SELF_SIGNED_CERT).
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  );
  // A company CA and a leaf it signed, served with the chain (SELF_SIGNED_CERT_IN_CHAIN), as an inspecting proxy does.
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=Acme Inspecting Proxy CA",
  );
  openssl("req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1");
  await writeFile(join(dir, "ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    "1",
    "-extfile",
    "ext",
  );
  await writeFile(
    join(dir, "chain.pem"),
    Buffer.concat([await readFile(join(dir, "leaf.pem")), await readFile(join(dir, "ca.pem"))]),
  );
  selfSigned = await serve("self.key", "self.pem");
  privateCa = await serve("leaf.key", "chain.pem");
}, 30_000);
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await rm(dir, { recursive: true, force: true });
});

async function attempt(base: string) {
  const dest = join(dir, `out-${connections}`);
  const sleeps: number[] = [];
  const warnings: string[] = [];
  connections = 0;
  const err = await download({ id: "go", version: "1.25.4", uri: `${base}/go.tgz`, sha256 }, dest, {
    env: {},
    retries: 4,
    minBackoffMs: 5,
    sleep: async (ms) => void sleeps.push(ms),
    log: { detail: () => {}, warn: (t) => warnings.push(t) },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CnbError);
  return { err: err as CnbError, sleeps, warnings, files: await readdir(dest) };
}

describe("a certificate the build does not trust", () => {
  test("a CA in the chain (a TLS-inspecting proxy): one attempt, one line naming the binding, the proxy settings and the doc", async () => {
    const { err, sleeps, warnings, files } = await attempt(privateCa);
    expect(connections).toBe(1);
    expect(sleeps).toEqual([]);
    expect(warnings).toEqual([]);
    expect(files).toEqual([]);
    expect(err.message).toBe(
      `go 1.25.4: the build does not trust 127.0.0.1:${new URL(privateCa).port}'s certificate (SELF_SIGNED_CERT_IN_CHAIN) for ${privateCa}/go.tgz`,
    );
    const shown = formatError(err);
    expect(shown.split("\n")).toHaveLength(2);
    expect(err.hint).toContain("cnbkit/ca-certificates");
    expect(err.hint).toContain("--binding ca=");
    expect(err.hint).toContain("type` = ca-certificates");
    expect(err.hint).toContain("HTTPS_PROXY");
    expect(err.hint).toContain("docs/ops-teams.md");
    expect(formatError(err)).not.toContain("    at ");
  });

  test("a self-signed server: not retried either", async () => {
    const { err, sleeps } = await attempt(selfSigned);
    expect(connections).toBe(1);
    expect(sleeps).toEqual([]);
    expect(err.message).toContain("(DEPTH_ZERO_SELF_SIGNED_CERT)");
  });

  test("the codes that are certificate errors, found through causes; a reset is not one", () => {
    const wrapped = (code: string) => new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code }) });
    for (const code of [
      "SELF_SIGNED_CERT_IN_CHAIN",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "CERT_HAS_EXPIRED",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "ERR_TLS_CERT_ALTNAME_INVALID",
    ]) {
      expect(tlsCertCode(wrapped(code))).toBe(code);
    }
    expect(tlsCertCode(wrapped("ECONNRESET"))).toBeUndefined();
    expect(tlsCertCode(wrapped("ETIMEDOUT"))).toBeUndefined();
  });
});
