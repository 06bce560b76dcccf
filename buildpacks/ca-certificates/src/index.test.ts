import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { removeTempDirs, runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, describe, expect, onTestFinished, test } from "vitest";
import { TRUST_VARIABLES } from "./helper.js";
import bp from "./index.js";

// The harness's app and platform dirs; this file also runs outside the repo (the builder template vendors it).
afterAll(removeTempDirs);

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));
const corp = readFileSync(new URL("../testdata/corp-ca.pem", import.meta.url), "utf8");
const proxy = readFileSync(new URL("../testdata/proxy-ca.pem", import.meta.url), "utf8");
const body = (pem: string) => pem.split("\n")[1]!; // a line of base64, to look for in files and logs

/** A temp dir that goes when the current test finishes. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cnbkit-${prefix}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A stand-in for the build image's system bundle. */
function systemBundle(): string {
  const dir = tempDir("ca-test");
  writeFileSync(join(dir, "system.crt"), proxy);
  return join(dir, "system.crt");
}

const corpBinding = { "corp-ca": { type: "ca-certificates", entries: { "corp.pem": corp } } };

describe("ca-certificates detect", () => {
  test("passes with a ca-certificates binding, fails without one", async () => {
    expect((await runDetect(bp, { buildpackDir, bindings: corpBinding })).passed).toBe(true);
    const none = await runDetect(bp, {
      buildpackDir,
      bindings: { m: { type: "dependency-mirror", entries: { default: "x" } } },
    });
    expect(none.result).toEqual({
      kind: "fail",
      reason: "no binding of type ca-certificates and BP_ENABLE_RUNTIME_CERT_BINDING is not true",
    });
  });
  test("the binding type compares case-insensitively", async () => {
    const r = await runDetect(bp, {
      buildpackDir,
      bindings: { ca: { type: "CA-Certificates\n", entries: { "a.pem": corp } } },
    });
    expect(r.passed).toBe(true);
  });
  test("passes for the runtime helper alone; BP_RUNTIME_CERT_BINDING_DISABLED wins", async () => {
    const on = await runDetect(bp, { buildpackDir, platformEnv: { BP_ENABLE_RUNTIME_CERT_BINDING: "true" } });
    expect(on.passed).toBe(true);
    const off = await runDetect(bp, {
      buildpackDir,
      platformEnv: { BP_ENABLE_RUNTIME_CERT_BINDING: "true", BP_RUNTIME_CERT_BINDING_DISABLED: "true" },
    });
    expect(off.passed).toBe(false);
  });
  test("a setting that is not a boolean is one line naming it", async () => {
    await expect(
      runDetect(bp, { buildpackDir, platformEnv: { BP_ENABLE_RUNTIME_CERT_BINDING: "maybe" } }),
    ).rejects.toThrow('BP_ENABLE_RUNTIME_CERT_BINDING="maybe" must be true or false');
  });
});

describe("ca-certificates build", () => {
  test("merges the system bundle and the binding's certificates for the build only", async () => {
    const system = systemBundle();
    const r = await runBuild(bp, { buildpackDir, bindings: corpBinding, env: { SSL_CERT_FILE: system } });
    const layer = r.layer("ca-certificates");
    expect(layer.toml?.types).toEqual({ build: true, launch: false, cache: false });
    expect(layer.files).toEqual([
      "ca-certificates.crt",
      ...TRUST_VARIABLES.map((v) => `env.build/${v}.override`).sort(),
    ]);
    const bundlePath = join(layer.path, "ca-certificates.crt");
    const bundle = readFileSync(bundlePath, "utf8");
    expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(bundle.indexOf(body(proxy))).toBeLessThan(bundle.indexOf(body(corp)));
    const env = r.buildEnv();
    for (const v of TRUST_VARIABLES) expect(env[v], v).toBe(bundlePath);
    expect(r.launchEnv().SSL_CERT_FILE).toBeUndefined();
    const log = r.stdout.join("\n");
    expect(log).toContain("corp-ca/corp.pem: 1 certificate");
    expect(log).not.toContain(body(corp));
  });
  test("BP_EMBED_CERTS=true puts the bundle in the image and sets the variables at launch", async () => {
    const r = await runBuild(bp, {
      buildpackDir,
      bindings: corpBinding,
      env: { SSL_CERT_FILE: systemBundle() },
      platformEnv: { BP_EMBED_CERTS: "true" },
    });
    const layer = r.layer("ca-certificates");
    expect(layer.toml?.types).toEqual({ build: true, launch: true, cache: false });
    const launch = r.launchEnv("web");
    for (const v of TRUST_VARIABLES) expect(launch[v], v).toBe(join(layer.path, "ca-certificates.crt"));
    expect(r.buildEnv().NODE_EXTRA_CA_CERTS).toBe(join(layer.path, "ca-certificates.crt"));
  });
  test("certificates from several files and bindings all land in the bundle", async () => {
    const r = await runBuild(bp, {
      buildpackDir,
      env: { SSL_CERT_FILE: join(tmpdir(), "no-such-bundle.crt") },
      bindings: {
        a: { type: "ca-certificates", entries: { "corp.pem": corp } },
        b: {
          type: "ca-certificates",
          provider: "vault",
          entries: { "proxy.crt": proxy, "both.pem": corp + proxy, ".gitkeep": "" },
        },
      },
    });
    const bundle = readFileSync(join(r.layer("ca-certificates").path, "ca-certificates.crt"), "utf8");
    // The host's bundle (if any) comes first, then the bindings' certificates by binding and file name.
    expect(bundle.endsWith(corp + corp + proxy + proxy)).toBe(true);
    expect(r.stdout.join("\n")).toContain("Trusting 4 certificates from 2 bindings");
  });
  test("a binding file that is not a certificate fails the build naming the binding and file", async () => {
    await expect(
      runBuild(bp, {
        buildpackDir,
        bindings: { "corp-ca": { type: "ca-certificates", entries: { "corp.pem": corp, "notes.txt": "s3cret" } } },
      }),
    ).rejects.toThrow(/^binding "corp-ca" file notes.txt is not a PEM certificate/);
  });
});

describe("ca-certificates runtime helper", () => {
  test("the exec.d program trusts bindings mounted at launch, printing TOML on fd 3", async () => {
    const r = await runBuild(bp, { buildpackDir, platformEnv: { BP_ENABLE_RUNTIME_CERT_BINDING: "true" } });
    expect(r.layer("helper").files).toEqual(["exec.d/ca-cert-helper"]);
    expect(r.layer("helper").toml?.types).toEqual({ build: false, launch: true, cache: false });
    expect(() => r.layer("ca-certificates")).toThrow(/no layer "ca-certificates"/);

    const root = tempDir("ca-bindings");
    mkdirSync(join(root, "corp"));
    writeFileSync(join(root, "corp", "type"), "ca-certificates\n");
    writeFileSync(join(root, "corp", "corp.pem"), corp);
    mkdirSync(join(root, "other"));
    writeFileSync(join(root, "other", "type"), "dependency-mirror");
    writeFileSync(join(root, "other", "default"), "https://mirror.example");
    const run = spawnSync("sh", [join(r.layer("helper").path, "exec.d", "ca-cert-helper")], {
      env: { PATH: process.env.PATH, SERVICE_BINDING_ROOT: root, SSL_CERT_FILE: systemBundle(), TMPDIR: root },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const out = parseToml(String(run.output[3]), "exec.d output") as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual([...TRUST_VARIABLES].sort());
    const bundle = readFileSync(out.SSL_CERT_FILE!, "utf8");
    expect(bundle.startsWith(proxy)).toBe(true);
    expect(bundle).toContain(body(corp));
    expect(bundle).not.toContain("mirror.example");
  });
  test("the helper prints nothing when no ca-certificates binding is mounted", () => {
    const root = tempDir("ca-empty");
    const script = join(root, "helper.sh");
    return import("./helper.js").then(({ HELPER_SCRIPT }) => {
      writeFileSync(script, HELPER_SCRIPT);
      const run = spawnSync("sh", [script], {
        env: { PATH: process.env.PATH, SERVICE_BINDING_ROOT: root },
        stdio: ["ignore", "pipe", "pipe", "pipe"],
        encoding: "utf8",
      });
      expect(run.status, run.stderr).toBe(0);
      expect(String(run.output[3])).toBe("");
    });
  });
});
