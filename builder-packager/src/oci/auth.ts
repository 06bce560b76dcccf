/**
 * Registry credentials and auth challenges.
 *
 * Credentials come from the Docker config (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): `credHelpers[host]`, then `auths[host]` (base64 `auth` or
 * username/password), then `credsStore`; helpers run as `docker-credential-<name> get`
 * when that binary exists. WWW-Authenticate challenges are parsed here; the token dance
 * itself lives in the registry client.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { DOCKER_HUB } from "./reference.js";

/** A username and password (or token as password) for one registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** A parsed WWW-Authenticate challenge. */
export interface Challenge {
  scheme: "basic" | "bearer" | string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header value (one challenge; quoted and bare params).
 *
 * @example
 * parseChallenge('Bearer realm="https://auth.io/token",service="registry",scope="repository:a/b:pull"')
 */
export function parseChallenge(header: string): Challenge {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  const scheme = (m?.[1] ?? "").toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const p of (m?.[2] ?? "").matchAll(re))
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
  return { scheme, params };
}

/** The directory of the Docker config in use (DOCKER_CONFIG, else ~/.docker). */
export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || join(homedir(), ".docker");
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Keys under which a registry may appear in `auths` (Docker Hub has historic ones). */
function keysFor(registry: string): string[] {
  if (registry === DOCKER_HUB)
    return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  return [registry];
}

function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
}

async function runHelper(name: string, server: string): Promise<Credentials | undefined> {
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${name}`, ["get"], { timeout: 30_000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (out.Secret) resolve({ username: out.Username ?? "", password: out.Secret });
        else resolve(undefined);
      } catch {
        resolve(undefined);
      }
    });
    child.on("error", () => resolve(undefined));
    child.stdin?.end(server);
  });
}

/**
 * Looks up credentials for a registry host (`docker.io`, `127.0.0.1:5000`). Returns
 * undefined when there are none (anonymous access).
 */
export async function loadCredentials(registry: string): Promise<Credentials | undefined> {
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(await readFile(join(dockerConfigDir(), "config.json"), "utf8"));
  } catch {
    return undefined;
  }
  const keys = keysFor(registry);
  for (const k of keys) {
    const helper = cfg.credHelpers?.[k];
    if (helper) {
      const c = await runHelper(helper, registry === DOCKER_HUB ? "https://index.docker.io/v1/" : registry);
      if (c) return c;
    }
  }
  for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
    if (!keys.includes(key) && !keys.includes(hostOfKey(key))) continue;
    if (entry.auth) {
      const text = Buffer.from(entry.auth, "base64").toString("utf8");
      const i = text.indexOf(":");
      if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  if (cfg.credsStore) {
    return runHelper(cfg.credsStore, registry === DOCKER_HUB ? "https://index.docker.io/v1/" : registry);
  }
  return undefined;
}

/** A Basic Authorization header value. */
export function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}
