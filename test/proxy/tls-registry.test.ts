/**
 * A loopback registry with TLS from a CA made here and htpasswd basic auth, used as a user
 * would: `cnbkit base extend` pushes to it with the CA handed over in NODE_EXTRA_CA_CERTS
 * and the credentials in $DOCKER_CONFIG/config.json; skopeo reads what was pushed and
 * `cnbkit inspect` pulls it back. A missing CA and a wrong password are one line each and
 * leave the tag as it was. Then the same push, and a framework dependency download over
 * HTTPS, go through tinyproxy by CONNECT: its log proves it, and the download's upstream
 * answers only the proxy's address, so a bypass fails the test.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build as esbuild } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBaseImages } from "../../builder-packager/src/base/index.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { bundleCli, ROOT } from "../e2e/support.js";
import { makeTestCa, type TestCa } from "../support/test-ca.js";
import { onlyViaProxy, startTinyproxy, type TestProxy } from "../support/tinyproxy.js";

const exec = promisify(execFile);
const TIMEOUT = 900_000;
const USER = "ops";
const PASSWORD = "corp-s3cret";

let ca: TestCa;
let registry: TestRegistry;
let proxy: TestProxy;
let work = "";
let cli: Awaited<ReturnType<typeof bundleCli>>;
let runImage = "";

/** A Docker config dir holding `password` for the registry. */
async function dockerConfig(name: string, password: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const auth = Buffer.from(`${USER}:${password}`).toString("base64");
  await writeFile(join(dir, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  return dir;
}

/** Environment variables no test here wants from the machine (proxies, a Docker config). */
const CLEARED = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "DOCKER_CONFIG"];

/** Runs the bundled CLI with the machine's env minus {@link CLEARED}, plus `env`. */
function cnbkit(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CLEARED.includes(k)));
  const started = Date.now();
  const child = spawn(process.execPath, [cli.path, ...args], {
    env: { ...base, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((res) => child.on("close", (code) => res({ code, stdout, stderr, ms: Date.now() - started })));
}

/** The digest skopeo reads for `ref` with the CA and the right credentials. */
async function skopeoDigest(ref: string): Promise<string> {
  const { stdout } = await exec("skopeo", [
    "inspect",
    "--cert-dir",
    ca.certDir,
    "--creds",
    `${USER}:${PASSWORD}`,
    "--format",
    "{{.Digest}}",
    `docker://${ref}`,
  ]);
  return stdout.trim();
}

/** The error lines of a CLI run's stderr (progress lines are indented or not `error:`). */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("error:"));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-tls-registry-"));
  ca = await makeTestCa();
  registry = await startRegistry({ users: { [USER]: PASSWORD }, tls: { cert: ca.serverCert, key: ca.serverKey } });
  proxy = await startTinyproxy();
  cli = await bundleCli();
  ({
    run: { ref: runImage },
  } = await ensureBaseImages({ onProgress: () => {} }));
}, TIMEOUT);

afterAll(async () => {
  await registry?.stop();
  await proxy?.stop();
  await cli?.remove();
  await ca?.remove();
  if (work) await rm(work, { recursive: true, force: true });
});

const extend = (tag: string, label: string) => [
  "base",
  "extend",
  runImage,
  "--label",
  `org.opencontainers.image.vendor=${label}`,
  "--output",
  `${registry.host}/corp/run:${tag}`,
];

describe("a loopback registry with TLS and basic auth", () => {
  let digest = "";

  test(
    "base extend pushes over HTTPS with the CA from NODE_EXTRA_CA_CERTS and the creds from DOCKER_CONFIG; skopeo reads it and base extend pulls it back",
    async () => {
      const env = { NODE_EXTRA_CA_CERTS: ca.bundle, DOCKER_CONFIG: await dockerConfig("good", PASSWORD) };
      const first = await cnbkit(extend("1", "Corp"), env);
      expect(first.stderr).not.toMatch(/^error:/m);
      expect(first.code, first.stderr).toBe(0);
      digest = /(sha256:[0-9a-f]{64})/.exec(first.stdout)?.[1] ?? "";
      expect(digest).not.toBe("");
      expect(await skopeoDigest(`${registry.host}/corp/run:1`)).toBe(digest);
      console.log(`push of the extended run image to a TLS registry: ${(first.ms / 1000).toFixed(1)} s, ${digest}`);

      // The same inputs again: the same digest, pushed as another tag.
      const again = await cnbkit(extend("again", "Corp"), env);
      expect(again.code).toBe(0);
      expect(await skopeoDigest(`${registry.host}/corp/run:again`)).toBe(digest);

      // And pulled back: extend what was pushed into an OCI layout.
      const layout = join(work, "pulled");
      const pull = await cnbkit(
        ["base", "extend", `${registry.host}/corp/run:1`, "--env", "CORP=1", "--output", `oci:${layout}:run`],
        env,
      );
      expect(pull.code, pull.stderr).toBe(0);
      const config = JSON.parse((await exec("skopeo", ["inspect", "--config", `oci:${layout}:run`])).stdout);
      expect(config.config.Labels["org.opencontainers.image.vendor"]).toBe("Corp");
      expect(config.config.Env).toContain("CORP=1");
    },
    TIMEOUT,
  );

  test(
    "without its CA: one line naming the untrusted certificate and NODE_EXTRA_CA_CERTS; the tag is left as it was",
    async () => {
      const env = {
        NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt",
        DOCKER_CONFIG: await dockerConfig("good2", PASSWORD),
      };
      const r = await cnbkit(extend("1", "Other"), env);
      expect(r.code).not.toBe(0);
      const errors = errorLines(r.stderr);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        new RegExp(
          `^error: registry ${registry.host}: its TLS certificate is not trusted \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\)$`,
        ),
      );
      expect(r.stderr).toContain("NODE_EXTRA_CA_CERTS");
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await skopeoDigest(`${registry.host}/corp/run:1`)).toBe(digest);
    },
    TIMEOUT,
  );

  test(
    "a wrong password: one line naming the registry and the Docker config; the tag is left as it was",
    async () => {
      const env = { NODE_EXTRA_CA_CERTS: ca.bundle, DOCKER_CONFIG: await dockerConfig("bad", "wrong") };
      const r = await cnbkit(extend("1", "Other"), env);
      expect(r.code).not.toBe(0);
      const errors = errorLines(r.stderr);
      expect(errors).toEqual([
        expect.stringMatching(new RegExp(`^error: registry ${registry.host} refused credentials for corp/run`)),
      ]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await skopeoDigest(`${registry.host}/corp/run:1`)).toBe(digest);
    },
    TIMEOUT,
  );

  test(
    "through HTTPS_PROXY: the push tunnels by CONNECT (tinyproxy's log shows it) and gives the same image",
    async () => {
      const before = (await proxy.log()).length;
      const env = {
        NODE_EXTRA_CA_CERTS: ca.bundle,
        DOCKER_CONFIG: await dockerConfig("good3", PASSWORD),
        HTTPS_PROXY: proxy.url,
      };
      const r = await cnbkit(extend("proxied", "Corp"), env);
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.code).toBe(0);
      expect((await proxy.log()).slice(before)).toContain(`CONNECT ${registry.host} HTTP/1.1`);
      expect(await skopeoDigest(`${registry.host}/corp/run:proxied`)).toBe(digest);
      console.log(`the same push through tinyproxy (CONNECT): ${(r.ms / 1000).toFixed(1)} s`);
    },
    TIMEOUT,
  );
});

describe("a framework dependency download over HTTPS", () => {
  const BODY = Buffer.from("a dependency's bytes over TLS\n".repeat(1000));
  const SHA = createHash("sha256").update(BODY).digest("hex");
  let upstream: Server;
  let origin = "";
  let script = "";

  beforeAll(async () => {
    upstream = createServer(
      { cert: await readFile(ca.serverCert), key: await readFile(ca.serverKey) },
      onlyViaProxy((req, res) => {
        if (req.url === "/dep.bin") res.writeHead(200, { "content-length": BODY.length }).end(BODY);
        else res.writeHead(404).end();
      }),
    );
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    origin = `127.0.0.1:${(upstream.address() as { port: number }).port}`;
    // What a buildpack does in the build container: the framework's download, in a process of
    // its own, since Node reads NODE_EXTRA_CA_CERTS only when it starts.
    script = join(work, "download.mjs");
    await esbuild({
      stdin: {
        contents: `import { download } from "@cnbkit/framework/dependencies";
const [uri, sha256, dest] = process.argv.slice(2);
download({ id: "dep", version: "1.0.0", uri, sha256 }, dest, { env: process.env, retries: 0, minBackoffMs: 1 }).then(
  (file) => console.log(file),
  (err) => { console.error("error: " + err.message); process.exit(1); },
);`,
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
      outfile: script,
      logLevel: "silent",
    });
  });
  afterAll(async () => {
    await new Promise((r) => upstream?.close(r));
  });

  async function fetchDep(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CLEARED.includes(k)));
    const dest = await mkdtemp(join(work, "dl-"));
    return new Promise((res) => {
      execFile(
        process.execPath,
        [script, `https://${origin}/dep.bin`, SHA, dest],
        { env: { ...base, NODE_EXTRA_CA_CERTS: ca.bundle, ...env } },
        (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
  }

  test("goes through HTTPS_PROXY by CONNECT (the log shows it); direct, the upstream refuses", async () => {
    const before = (await proxy.log()).length;
    const ok = await fetchDep({ HTTPS_PROXY: proxy.url });
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain("dep.bin");
    expect((await proxy.log()).slice(before)).toContain(`CONNECT ${origin} HTTP/1.1`);
    // The guard works: without the proxy the upstream answers 403, so a bypass fails above.
    const direct = await fetchDep({});
    expect(direct.code).not.toBe(0);
    expect(direct.out).toMatch(/403/);
  });
});
