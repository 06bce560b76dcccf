/**
 * cosign's encrypted private key (`cosign generate-key-pair` → cosign.key): a PEM block whose
 * body is JSON from go-securesystemslib's `encrypted` package: an scrypt KDF (N, r, p, salt)
 * and a NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce) around the PKCS#8 DER key.
 * scrypt is Node's own; secretbox comes from @noble/ciphers, since Node has no XSalsa20.
 */
import { createPrivateKey, type KeyObject, scryptSync } from "node:crypto";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { CnbError } from "@cnbkit/framework";

/** The PEM types cosign has written for its encrypted keys (newest first). */
export const COSIGN_KEY_PEM_TYPES = ["ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"] as const;

interface EncryptedKey {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/**
 * Decrypts a cosign key (the whole PEM text) with `password`. A missing password, a wrong
 * one and a damaged file are each one line naming `where`.
 */
export function decryptCosignKey(pem: string, password: string | undefined, where: string): KeyObject {
  if (password === undefined) {
    throw new CnbError(`${where} is an encrypted cosign key: set COSIGN_PASSWORD to its password`);
  }
  const body = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(pem)?.[1];
  let data: EncryptedKey;
  try {
    data = JSON.parse(Buffer.from(body ?? "", "base64").toString("utf8")) as EncryptedKey;
  } catch {
    throw new CnbError(`${where} is not a readable cosign key (its PEM body is not cosign's JSON)`);
  }
  if (data.kdf?.name !== "scrypt" || data.cipher?.name !== "nacl/secretbox") {
    throw new CnbError(
      `${where} uses ${data.kdf?.name ?? "no"} KDF and ${data.cipher?.name ?? "no"} cipher; cnbkit reads cosign's scrypt + nacl/secretbox keys`,
    );
  }
  const { N, r, p } = data.kdf.params;
  const secret = scryptSync(Buffer.from(password, "utf8"), Buffer.from(data.kdf.salt, "base64"), 32, {
    N,
    r,
    p,
    maxmem: 256 * N * r,
  });
  let der: Uint8Array;
  try {
    der = xsalsa20poly1305(secret, Buffer.from(data.cipher.nonce, "base64")).decrypt(
      Buffer.from(data.ciphertext, "base64"),
    );
  } catch {
    throw new CnbError(`${where}: wrong password (COSIGN_PASSWORD does not decrypt it)`);
  }
  return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
}
