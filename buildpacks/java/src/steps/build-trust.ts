/**
 * Step: the build tools' JVMs (Maven, Gradle, their wrappers' downloaders) trust the CA
 * certificates cnbkit/ca-certificates added, as the app's JVM does at launch. That buildpack
 * points SSL_CERT_FILE at its bundle for the build; the JDK reads only its own cacerts. So
 * the launch truststore script (trust-store.ts) runs here too, with the JDK, writing into a
 * scratch layer that is neither kept nor cached, and its `-Djavax.net.ssl.trustStore` goes
 * into the tools' JAVA_TOOL_OPTIONS. Nothing happens when SSL_CERT_FILE adds no certificate.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError, type EnvChange, type Settings } from "@cnbkit/framework";
import { TRUST_STORE_SCRIPT } from "../trust-store.js";
import type { Jdk } from "./install-jdk.js";
import type { StepContext } from "./step-context.js";

/** JAVA_TOOL_OPTIONS for the build tools when SSL_CERT_FILE adds CAs, else undefined. */
export async function buildTrust(
  ctx: StepContext<"layers" | "log">,
  settings: Settings,
  jdk: Jdk,
): Promise<EnvChange | undefined> {
  if (!settings.SSL_CERT_FILE) return undefined;
  const layer = await ctx.layers.fresh("build_truststore", { types: {} });
  await mkdir(layer.path, { recursive: true });
  const script = join(layer.path, "trust-store.sh");
  await writeFile(script, TRUST_STORE_SCRIPT);
  const env: Record<string, string> = {
    PATH: settings.PATH ?? "/usr/bin:/bin",
    JAVA_HOME: jdk.layer.path,
    SSL_CERT_FILE: settings.SSL_CERT_FILE,
    TMPDIR: layer.path,
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
  if (value === undefined) return undefined;
  ctx.log.detail(stderr.trim());
  return { set: { JAVA_TOOL_OPTIONS: value } };
}
