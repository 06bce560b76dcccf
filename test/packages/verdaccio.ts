/**
 * A Verdaccio npm registry on 127.0.0.1 for the tests that publish cnbkit's packages and
 * install them as a user would. scripts/setup.sh installs it (scripts/fetch-verdaccio.sh)
 * into ~/.cache/cnbkit/verdaccio/<version>. Its storage, config and htpasswd live in a dir
 * the caller gives (and removes). It serves the @cnbkit scope only, with no uplink: what is
 * installed from it is what the test published, whatever the public registry holds under
 * that name. The .npmrc it writes sends only @cnbkit there; every other package comes from
 * npm's usual registry, as for a user. Proxying those through Verdaccio too (its npmjs
 * uplink) made each template's `npm install` take 270-370 s instead of about 60 s here
 * (Verdaccio fetched every package's metadata again through the TLS proxy), for no more
 * proof: the packages under test are the two @cnbkit ones.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { freePort } from "../e2e/support.js";

/** The Verdaccio version scripts/fetch-verdaccio.sh installs. */
export const VERDACCIO_VERSION = process.env.CNBKIT_VERDACCIO_VERSION ?? "6.8.0";

/** A running Verdaccio and what npm needs to use it. */
export interface Verdaccio {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  pid: number;
  /** A .npmrc that sends @cnbkit here, with a token of a user it registered (npm publish needs one). */
  npmrc: string;
  /** What Verdaccio printed (warnings and errors), for failure messages. */
  output: string[];
  /** Stops it by its PID and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts Verdaccio with its state in `dir` (made here), waits until it answers, adds a user. */
export async function startVerdaccio(dir: string): Promise<Verdaccio> {
  const bin = join(cnbkitCacheDir(), "verdaccio", VERDACCIO_VERSION, "node_modules", "verdaccio", "bin", "verdaccio");
  if (!existsSync(bin)) throw new Error(`${bin} does not exist; run bash scripts/setup.sh`);
  await mkdir(join(dir, "storage"), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, "config.yaml");
  await writeFile(
    config,
    [
      `storage: ${JSON.stringify(join(dir, "storage"))}`,
      "auth:",
      "  htpasswd:",
      `    file: ${JSON.stringify(join(dir, "htpasswd"))}`,
      "packages:",
      "  '@cnbkit/*':",
      "    access: $all",
      "    publish: $authenticated",
      "web:",
      "  enable: false",
      "log: { type: stdout, format: pretty, level: warn }",
      `listen: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const output: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [bin, "--config", config], {
    stdio: ["ignore", "pipe", "pipe"],
    env: process.env,
  });
  for (const s of [child.stdout, child.stderr]) s?.on("data", (b: Buffer) => output.push(b.toString()));
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, "SIGTERM");
      await exited;
    }
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited ${child.exitCode}:\n${output.join("")}`);
      const ok = await fetch(`${url}-/ping`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} in 60 s:\n${output.join("")}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // npm publish refuses to run without credentials: register a user, keep its token.
    const res = await fetch(`${url}-/user/org.couchdb.user:cnbkit-e2e`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "cnbkit-e2e", password: "cnbkit-e2e-password" }),
    });
    const body = (await res.json()) as { token?: string };
    if (!res.ok || !body.token)
      throw new Error(`verdaccio: adding a user answered ${res.status} ${JSON.stringify(body)}`);
    const npmrc = join(dir, "npmrc");
    const hostPath = url.replace(/^http:/, "");
    await writeFile(npmrc, `@cnbkit:registry=${url}\n${hostPath}:_authToken=${body.token}\n`);
    return { url, pid: child.pid!, npmrc, output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
