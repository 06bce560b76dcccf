/**
 * The Python-specific part of the tools' environment: trust for pip, requests and uv, and
 * bytecode that stays valid in the image. The environment itself (ToolEnv, EnvChange,
 * withChanges) is the framework's.
 */
import type { ToolEnv } from "@cnbkit/framework";

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

/**
 * The lifecycle's fixed file time (1980-01-01T00:00:01Z): every file of an exported or cached
 * layer gets it, whatever it was at build.
 */
export const LAYER_MTIME_EPOCH = "315532801";

/**
 * SOURCE_DATE_EPOCH for the tools, unless the build has one. With it set, py_compile (which
 * pip's `--compile`, uv's `--compile-bytecode` and compileall all use) writes hash-checked
 * .pyc files. The default, timestamp .pyc, records the source's mtime, which the lifecycle
 * then sets to 1980 when it exports or caches the layer: every .pyc compiled at build was stale
 * in the image, so each app start compiled every import again, and each cold build's venv
 * layer differed by those times. Tools that build wheels (setuptools, hatchling) also read it
 * for their archive times.
 *
 * @example
 * bytecodeEnv({}).SOURCE_DATE_EPOCH // "315532801"
 */
export function bytecodeEnv(settings: ToolEnv): Record<string, string> {
  return settings.SOURCE_DATE_EPOCH?.trim() ? {} : { SOURCE_DATE_EPOCH: LAYER_MTIME_EPOCH };
}
