/**
 * The environment that the build's tools (python, pip, uv, poetry, pipenv) run with.
 *
 * Each build step returns what it adds as an {@link EnvChange} instead of writing into a
 * shared object, so the build reads as "this step put its bin dir on PATH" and a test can
 * check each step's change alone. Launch env is written by the framework from layer env
 * deltas, never from here.
 */

/** A process environment, as `child_process.spawn` takes it (undefined = unset). */
export type ToolEnv = Readonly<Record<string, string | undefined>>;

/** What a step adds to the tool environment. */
export interface EnvChange {
  /** Variables to set (a later change wins). */
  set?: Readonly<Record<string, string>>;
  /** Directories to put in front of PATH, first one first. */
  path?: readonly string[];
}

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * `env` with `changes` applied in order; `env` itself is not modified.
 *
 * @example
 * withChanges({ PATH: "/usr/bin" }, { path: ["/layers/cpython/bin"] }).PATH // "/layers/cpython/bin:/usr/bin"
 */
export function withChanges(env: ToolEnv, ...changes: readonly (EnvChange | undefined)[]): ToolEnv {
  const out: Record<string, string | undefined> = { ...env };
  for (const c of changes) {
    if (!c) continue;
    Object.assign(out, c.set);
    if (c.path && c.path.length > 0) out.PATH = [...c.path, out.PATH ?? DEFAULT_PATH].join(":");
  }
  return out;
}

/**
 * Trust for the Python tools when a CA bundle is set (by cnbkit/ca-certificates, or by the
 * platform): pip's certifi, requests (Poetry, Pipenv) and uv's built-in webpki roots all
 * ignore the system store, so behind a TLS-inspecting proxy they fail without these. A
 * variable the build already has is kept.
 *
 * @example
 * caEnv({ SSL_CERT_FILE: "/layers/ca/ca.pem" }).UV_SYSTEM_CERTS // "true"
 */
export function caEnv(settings: ToolEnv): Record<string, string> {
  const bundle = settings.SSL_CERT_FILE?.trim();
  if (!bundle) return {};
  // uv reads SSL_CERT_FILE itself; UV_SYSTEM_CERTS (UV_NATIVE_TLS before uv 0.13) adds the system store.
  const out: Record<string, string> = { UV_SYSTEM_CERTS: "true" };
  for (const name of ["PIP_CERT", "REQUESTS_CA_BUNDLE"]) if (!settings[name]) out[name] = bundle;
  return out;
}
