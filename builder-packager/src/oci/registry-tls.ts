/**
 * How the registry client talks TLS. Registries on loopback are tried over HTTPS first and
 * fall back to plain HTTP when the server does not speak TLS, as Docker and
 * go-containerregistry (pack, crane, the lifecycle) treat their insecure registries: a
 * `docker-registry` on 127.0.0.1 with a certificate just works, and one without still does.
 * Certificates are checked against Node's trust, to which NODE_EXTRA_CA_CERTS adds a CA.
 */
import { CnbError } from "@cnbkit/framework";

function codes(err: unknown): string[] {
  const out: string[] = [];
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") out.push(code);
  }
  return out;
}

/** OpenSSL's answer when a TLS client meets a server that speaks plain HTTP. */
const NOT_TLS = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG", "EPROTO"]);

/** True when `err` says the server at the other end does not speak TLS (so try plain HTTP). */
export function isPlainHttpServer(err: unknown): boolean {
  return codes(err).some((c) => NOT_TLS.has(c));
}

/** Node's codes for a certificate it does not trust or that does not fit the host. */
const UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * A one-line error for a registry whose TLS certificate Node does not accept, naming the
 * reason and how to hand over the CA; undefined when `err` is something else.
 */
export function untrustedCertificate(registry: string, err: unknown): CnbError | undefined {
  const code = codes(err).find((c) => UNTRUSTED.has(c));
  if (!code) return undefined;
  return new CnbError(`registry ${registry}: its TLS certificate is not trusted (${code})`, {
    hint:
      code === "ERR_TLS_CERT_ALTNAME_INVALID"
        ? `the certificate must name ${registry.replace(/:\d+$/, "")} in its subjectAltName`
        : "put the CA that signed it in a PEM file and set NODE_EXTRA_CA_CERTS to that file",
  });
}
