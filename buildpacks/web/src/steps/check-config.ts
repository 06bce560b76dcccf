/**
 * Step: `nginx -t` on the configuration as it will be at launch (PORT 8080, other env as the
 * build has it), so a broken nginx.conf fails the build with nginx's own line, not the
 * container at start.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError, type Settings, type StepContext } from "@cnbkit/framework";
import { placeholderNames, renderTemplate } from "../launch-script.js";
import type { Nginx } from "./install-nginx.js";
import type { WebConfig } from "./write-config.js";

/** Runs `nginx -t`; throws nginx's first error line as a CnbError naming the file. */
export async function checkConfig(
  ctx: StepContext<"log">,
  nginx: Nginx,
  config: WebConfig,
  env: Settings,
): Promise<void> {
  const run = await mkdtemp(join(env.TMPDIR ?? tmpdir(), "cnbkit-nginx-t-"));
  try {
    await symlink(join(nginx.home, "conf", "mime.types"), join(run, "mime.types"));
    const conf = join(run, "nginx.conf");
    await writeFile(conf, renderTemplate(config.template, { ...env, PORT: "8080" }));
    const { code, output } = await runNginx(
      join(nginx.home, "sbin", "nginx"),
      ["-p", `${run}/`, "-e", "stderr", "-c", conf, "-t"],
      {
        ...env,
        LD_LIBRARY_PATH: join(nginx.home, "lib"),
      },
    );
    if (code !== 0) {
      const unset = placeholderNames(config.template).filter((n) => n !== "PORT" && env[n] === undefined);
      throw new CnbError(nginxError(output, conf, config.source), {
        hint:
          unset.length > 0
            ? `${unset.join(", ")} ${unset.length > 1 ? "are" : "is"} unset at build and was checked as empty; set a default with BPE_DEFAULT_ or fix the line`
            : config.source === "nginx.conf"
              ? "fix that line of nginx.conf (nginx -t checks it at build)"
              : undefined,
      });
    }
    ctx.log.detail(`nginx -t: configuration ok`);
  } finally {
    await rm(run, { recursive: true, force: true });
  }
}

/**
 * The first `[emerg]` (else any) line of `nginx -t` output, with the temp file's path
 * replaced by the one the user knows.
 *
 * @example
 * nginxError('nginx: [emerg] unknown directive "foo" in /tmp/x/nginx.conf:3\n', "/tmp/x/nginx.conf", "nginx.conf");
 * // 'nginx.conf:3: nginx -t: [emerg] unknown directive "foo"'
 */
export function nginxError(output: string, confPath: string, source: "nginx.conf" | "generated"): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.find((l) => l.includes("[emerg]")) ?? lines.find((l) => !l.includes("test failed")) ?? "failed";
  const name = source === "nginx.conf" ? "nginx.conf" : "the generated nginx.conf";
  // `-e stderr` lines carry a time and pid: "2026/11/28 16:35:06 [emerg] 31297#31297: unknown ...".
  const body = line
    .replace(/^nginx: /, "")
    .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, "")
    .replace(/^(\[\w+\]) \d+#\d+: /, "$1 ");
  const at = new RegExp(` in ${confPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)$`).exec(body);
  if (at) return `${name}:${at[1]}: nginx -t: ${body.slice(0, at.index)}`;
  return `${name}: nginx -t: ${body.replaceAll(confPath, name)}`;
}

function runNginx(bin: string, args: string[], env: Settings): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // stdout is /dev/null: nginx -t opens /dev/stdout for an access log, which a socket (Node's
    // pipes) refuses; nginx writes what -t says to stderr.
    const child = spawn(bin, args, { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "ignore", "pipe"] });
    let output = "";
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
