/**
 * Step: the build tools' JVMs (Maven, Gradle, their wrappers' downloaders) trust the CA
 * certificates cnbkit/ca-certificates added, as the app's JVM does at launch. That buildpack
 * points SSL_CERT_FILE at its bundle for the build; the JDK reads only its own cacerts. So
 * the launch truststore script (trust-store.ts) runs here too, with the JDK, writing into the
 * cache-only layer `build_truststore`, and its `-Djavax.net.ssl.trustStore` goes into the
 * tools' JAVA_TOOL_OPTIONS. Nothing happens when SSL_CERT_FILE adds no certificate.
 *
 * The store is kept, keyed on what makes it (the bundle's and the system bundle's contents,
 * the JDK, JAVA_TOOL_OPTIONS), because making it starts a JVM that compiles a source-file
 * program: ~1 s of every rebuild after an edit, for the same file each time.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError, type EnvChange, metadataSchema, type Settings } from "@cnbkit/framework";
import { TRUST_STORE_SCRIPT } from "../trust-store.js";
import type { Jdk } from "./install-jdk.js";
import type { StepContext } from "./step-context.js";

/** The bundle the script compares SSL_CERT_FILE with (its default: the build image's). */
const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Bump when what the layer holds changes, so an old store is made again. */
const FORMAT = 1;

/** What the kept store gives the tools: their JAVA_TOOL_OPTIONS ("" when nothing was added) and what the script said. */
const trustMetadata = metadataSchema({ options: "string", said: "string" });

/** JAVA_TOOL_OPTIONS for the build tools when SSL_CERT_FILE adds CAs, else undefined. */
export async function buildTrust(
  ctx: StepContext<"layers" | "log">,
  settings: Settings,
  jdk: Jdk,
): Promise<EnvChange | undefined> {
  const bundle = settings.SSL_CERT_FILE;
  if (!bundle) return undefined;
  const key = {
    bundle: await digest(bundle),
    system: await digest(SYSTEM_BUNDLE),
    jdk: jdk.sha256,
    options: settings.JAVA_TOOL_OPTIONS ?? "",
    format: FORMAT,
  };
  let made = false;
  const layer = await ctx.layers.cached("build_truststore", {
    types: { cache: true },
    key,
    metadata: trustMetadata,
    async fill(l) {
      made = true;
      return makeStore(l.path, settings, jdk);
    },
  });
  const { options, said } = layer.metadata;
  if (!options) return undefined;
  if (made && said) ctx.log.detail(said);
  return { set: { JAVA_TOOL_OPTIONS: options } };
}

/** sha256 of a file's bytes, or "none" when it is missing (the script then compares with nothing). */
async function digest(path: string): Promise<string> {
  const bytes = await readFile(path).catch(() => undefined);
  return bytes ? createHash("sha256").update(bytes).digest("hex") : "none";
}

/** Runs the truststore script with the JDK into `dir`; returns its JAVA_TOOL_OPTIONS ("" for none) and its message. */
async function makeStore(dir: string, settings: Settings, jdk: Jdk): Promise<{ options: string; said: string }> {
  await mkdir(dir, { recursive: true });
  const script = join(dir, "trust-store.sh");
  await writeFile(script, TRUST_STORE_SCRIPT);
  const env: Record<string, string> = {
    PATH: settings.PATH ?? "/usr/bin:/bin",
    JAVA_HOME: jdk.home,
    SSL_CERT_FILE: settings.SSL_CERT_FILE as string,
    TMPDIR: dir,
    ...(settings.JAVA_TOOL_OPTIONS ? { JAVA_TOOL_OPTIONS: settings.JAVA_TOOL_OPTIONS } : {}),
  };
  const { code, fd3, stderr } = await new Promise<{ code: number | null; fd3: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn("sh", [script], { env, stdio: ["ignore", "ignore", "pipe", "pipe"] });
      let fd3 = "";
      let stderr = "";
      child.stdio[3]?.on("data", (d: Buffer) => {
        fd3 += d.toString("utf8");
      });
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, fd3, stderr }));
    },
  );
  if (code !== 0) throw new CnbError(`the JDK's truststore for SSL_CERT_FILE could not be made: ${stderr.trim()}`);
  const value = /^JAVA_TOOL_OPTIONS = "(.*)"$/m.exec(fd3)?.[1]?.replace(/\\(["\\])/g, "$1");
  return { options: value ?? "", said: stderr.trim() };
}
