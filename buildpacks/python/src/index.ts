/**
 * cnbkit's reference Python buildpack: CPython from the inventory (python-build-standalone),
 * dependencies installed by pip, uv, Poetry or Pipenv into a venv layer cached on the
 * lockfile digest, a `web` process inferred for Django, FastAPI/Starlette, Flask, console
 * scripts and lone scripts, WEB_CONCURRENCY from the cgroup limits (exec.d), and SBOMs for the
 * runtime and every installed distribution.
 *
 * detect.ts and build.ts hold the two phases; build.ts lists its steps (steps/), and the
 * decisions live in small pure modules beside them (python-version, pep440, package-manager,
 * start-command, web-concurrency, dist-info, tool-env).
 */
import { buildpack, CnbError } from "@cnbkit/framework";
import { detect } from "./detect.js";
import type { PythonMetadata } from "./steps/install-runtime.js";

export type { PythonMetadata } from "./steps/install-runtime.js";

/** A `[metadata]` table of strings (tool → version), or one clear error naming it. */
function versions(raw: unknown, table: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  if (typeof raw !== "object" || raw === null)
    throw new CnbError(`buildpack.toml: [metadata.${table}] must be a table`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string" || v.trim() === "") {
      throw new CnbError(`buildpack.toml: [metadata.${table}].${k} must be a version string`);
    }
    out[k] = v;
  }
  return out;
}

/** Checks `[metadata]`: `default-versions.cpython` is required; tools and servers are version tables. */
export function parseMetadata(raw: unknown): PythonMetadata {
  const m = (raw ?? {}) as Record<string, unknown>;
  const cpython = (m["default-versions"] as { cpython?: unknown } | undefined)?.cpython;
  if (typeof cpython !== "string" || cpython.trim() === "") {
    throw new CnbError('buildpack.toml: [metadata.default-versions].cpython must be a version such as "3.13.x"');
  }
  return {
    defaultVersions: { cpython },
    defaultTools: versions(m["default-tools"], "default-tools"),
    defaultServers: versions(m["default-servers"], "default-servers"),
  };
}

export default buildpack<PythonMetadata>({
  metadata: parseMetadata,
  detect,
  // build.ts and its steps (installs, child processes, hashing, SBOMs) load only for build,
  // so a detect that reaches Node stays cheap.
  build: async (ctx) => (await import("./build.js")).build(ctx),
});
