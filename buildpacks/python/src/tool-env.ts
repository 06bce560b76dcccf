/**
 * The Python-specific part of the tools' environment: trust for pip, requests and uv. The
 * environment itself (ToolEnv, EnvChange, withChanges) is the framework's.
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
