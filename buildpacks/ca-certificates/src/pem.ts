/**
 * PEM certificate files: find the `CERTIFICATE` blocks, check each is real X.509, and
 * refuse what does not belong in a trust store. Messages name the file, never its contents.
 */
import { X509Certificate } from "node:crypto";
import { CnbError } from "@cnbkit/framework";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Returns the certificates of a PEM text, each normalised to a `-----BEGIN CERTIFICATE-----`
 * block ending in a newline. `where` names the file in errors.
 *
 * @throws CnbError when there is no certificate, a block is not valid X.509, or the file
 *   holds a private key (a trust store takes certificates only).
 * @example
 * parsePemCertificates(await binding.read("corp.pem"), 'binding "corp-ca" file corp.pem'); // ["-----BEGIN CERTIFICATE-----\n…"]
 */
export function parsePemCertificates(text: string, where: string): string[] {
  const certs: string[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    if (label.includes("PRIVATE KEY")) {
      throw new CnbError(`${where} contains a private key; a ca-certificates binding holds certificates only`, {
        hint: "Remove the key from the binding: only the CA's public certificate is needed to trust it.",
      });
    }
    if (label !== "CERTIFICATE") continue;
    const base64 = m[2]!.replace(/\s+/g, "");
    try {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new Error("not base64");
      new X509Certificate(Buffer.from(base64, "base64"));
    } catch {
      throw new CnbError(`${where}: certificate ${certs.length + 1} is not a valid X.509 certificate`);
    }
    const lines = base64.match(/.{1,64}/g) ?? [];
    certs.push(`-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`);
  }
  if (certs.length === 0) {
    throw new CnbError(`${where} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)`, {
      hint: "A ca-certificates binding holds PEM files (and a file named type); convert DER with: openssl x509 -inform der -in ca.der -out ca.pem",
    });
  }
  return certs;
}
