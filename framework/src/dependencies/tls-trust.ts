/**
 * TLS certificate failures of a download: the one kind of network error that never heals on
 * retry. Behind a TLS-inspecting company proxy every HTTPS request fails the same way until the
 * build trusts the proxy's CA, so five retries (45 s of back-off) only hid the fix.
 */
import { CnbError } from "../errors/index.js";

/**
 * OpenSSL's and Node's codes for a certificate the build does not trust or that does not fit
 * the host. Handshake resets and timeouts are not here: those can be a blip worth a retry.
 */
const TRUST_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
]);
/** Codes about the certificate's dates: the server's certificate, or the build machine's clock. */
const TIME_CODES = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "CRL_HAS_EXPIRED", "CRL_NOT_YET_VALID"]);
/** The certificate is valid but names another host. */
const NAME_CODES = new Set(["ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH"]);

/** The certificate error code in `err` or its causes, or undefined when it is not one. */
export function tlsCertCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (TRUST_CODES.has(code) || TIME_CODES.has(code) || NAME_CODES.has(code))) {
      return code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Where the fix for an untrusted certificate is written down, for every hint that names it. */
const TRUST_FIX =
  "behind a TLS-inspecting proxy, trust its CA: put cnbkit/ca-certificates in the group and pass " +
  "--binding ca=<dir with a file `type` = ca-certificates and the proxy's .pem>; " +
  "check HTTPS_PROXY/NO_PROXY; see docs/ops-teams.md#your-registry-credentials-a-private-ca-a-proxy";

/**
 * The one-line error for a download that failed on `code` (from {@link tlsCertCode}), with the
 * fix as its hint; `err` stays as the cause for BP_LOG_LEVEL=debug.
 */
export function tlsTrustError(label: string, host: string, shown: string, code: string, err: unknown): CnbError {
  if (TIME_CODES.has(code)) {
    return new CnbError(`${label}: ${host}'s certificate is outside its validity dates (${code}) for ${shown}`, {
      hint: `check the build machine's clock, or the server's certificate; ${TRUST_FIX}`,
      cause: err,
    });
  }
  if (NAME_CODES.has(code)) {
    return new CnbError(`${label}: ${host}'s certificate is for another host name (${code}) for ${shown}`, {
      hint: `check the uri or mirror's host name; ${TRUST_FIX}`,
      cause: err,
    });
  }
  return new CnbError(`${label}: the build does not trust ${host}'s certificate (${code}) for ${shown}`, {
    hint: `not retried, a certificate error does not heal; ${TRUST_FIX}`,
    cause: err,
  });
}
