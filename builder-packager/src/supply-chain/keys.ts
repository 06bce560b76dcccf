/**
 * Signing and verification keys, loaded once at the edge and checked for what cosign can
 * verify: ECDSA P-256 (what `cosign generate-key-pair` makes), Ed25519 and RSA (2048 bits or
 * more). Anything else is refused in one line before any work starts, so a build never runs
 * for twenty minutes and then fails to sign.
 *
 * A private key lives only in this process: it is never written anywhere, never passed to a
 * container and never put in an environment variable of one.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import { COSIGN_KEY_PEM_TYPES, decryptCosignKey } from "./cosign-key.js";

/** The key algorithms cosign verifies, as cnbkit names them in output. */
export type KeyAlgorithm = "ecdsa-p256" | "ed25519" | "rsa";

/** A private key that signs as cosign's verifier expects for its algorithm. */
export interface SigningKey {
  readonly algorithm: KeyAlgorithm;
  /** The matching public key, PEM (SubjectPublicKeyInfo), as `cosign.pub` holds it. */
  readonly publicKeyPem: string;
  /** Signs `data`: ECDSA and RSA over its SHA-256 (DER / PKCS#1 v1.5), Ed25519 over the bytes. */
  sign(data: Buffer): Buffer;
}

/** A public key that checks signatures made by a {@link SigningKey} (or by cosign). */
export interface VerifyKey {
  readonly algorithm: KeyAlgorithm;
  /** True when `signature` is a valid signature of `data` under this key. */
  verify(data: Buffer, signature: Buffer): boolean;
}

/** Options of {@link loadSigningKey}. */
export interface LoadKeyOptions {
  /** The password of an encrypted key; default `$COSIGN_PASSWORD`, as cosign reads it. */
  password?: string;
  /** Where the key was named, for messages (e.g. `--sign-key`). */
  flag?: string;
}

/**
 * Loads a private key from a PEM file: PKCS#8, SEC1 or PKCS#1, plain or encrypted with a
 * password, or cosign's own encrypted key (`cosign generate-key-pair`).
 *
 * @example
 * const key = await loadSigningKey("cosign.key", { password: process.env.COSIGN_PASSWORD });
 * const sig = key.sign(payload);
 */
export async function loadSigningKey(path: string, options: LoadKeyOptions = {}): Promise<SigningKey> {
  const where = `${options.flag ?? "key"} ${path}`;
  const pem = await readKeyFile(path, where);
  const password = options.password ?? process.env.COSIGN_PASSWORD;
  let key: KeyObject;
  if (COSIGN_KEY_PEM_TYPES.some((t) => pem.includes(`-----BEGIN ${t}-----`))) {
    key = decryptCosignKey(pem, password, where);
  } else if (pem.includes("PUBLIC KEY-----")) {
    throw new CnbError(`${where} is a public key; signing needs the private key`, {
      hint: "Pass the private half (e.g. cosign.key); cosign.pub is for cnbkit verify and cosign verify.",
    });
  } else {
    const encrypted = pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----") || /Proc-Type: 4,ENCRYPTED/.test(pem);
    if (encrypted && password === undefined) {
      throw new CnbError(`${where} is encrypted: set COSIGN_PASSWORD to its password`);
    }
    try {
      key = createPrivateKey({ key: pem, format: "pem", ...(encrypted ? { passphrase: password } : {}) });
    } catch (err) {
      if (encrypted)
        throw new CnbError(`${where}: wrong password (COSIGN_PASSWORD does not decrypt it)`, { cause: err });
      throw new CnbError(`${where} is not a PEM private key cnbkit can read`, {
        hint: "Make one with `cosign generate-key-pair`, or `openssl genpkey -algorithm ed25519 -out key.pem`.",
        cause: err,
      });
    }
  }
  const algorithm = algorithmOf(key, where);
  const publicKeyPem = createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
  const digest = algorithm === "ed25519" ? null : "sha256";
  return { algorithm, publicKeyPem, sign: (data) => sign(digest, data, key) };
}

/**
 * Loads a public key from a PEM file (`cosign.pub`, or any SubjectPublicKeyInfo PEM). A
 * private key is accepted too, as cosign accepts one for `--key`: its public half is used.
 */
export async function loadVerifyKey(path: string, options: { flag?: string } = {}): Promise<VerifyKey> {
  const where = `${options.flag ?? "key"} ${path}`;
  const pem = await readKeyFile(path, where);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new CnbError(`${where} is not a PEM public key`, {
      hint: "Pass the public key (cosign.pub), e.g. --key cosign.pub.",
      cause: err,
    });
  }
  const algorithm = algorithmOf(key, where);
  const digest = algorithm === "ed25519" ? null : "sha256";
  return { algorithm, verify: (data, signature) => safeVerify(digest, data, key, signature) };
}

function safeVerify(digest: string | null, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify(digest, data, key, signature);
  } catch {
    return false; // a malformed signature is an invalid one
  }
}

async function readKeyFile(path: string, where: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "cannot be read (permission denied)"
          : "cannot be read";
    throw new CnbError(`${where} ${why}`, { hint: "Make a key pair with `cosign generate-key-pair`.", cause: err });
  }
}

/** The algorithm of a key, or a one-line refusal naming what cosign can verify. */
function algorithmOf(key: KeyObject, where: string): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "ed25519") return "ed25519";
  if (type === "ec" && details.namedCurve === "prime256v1") return "ecdsa-p256";
  if (type === "rsa" && (details.modulusLength ?? 0) >= 2048) return "rsa";
  const what =
    type === "ec"
      ? `an ECDSA ${details.namedCurve} key`
      : type === "rsa"
        ? `a ${details.modulusLength}-bit RSA key`
        : `a ${type} key`;
  throw new CnbError(`${where} is ${what}, which cosign signatures do not use`, {
    hint: "Use ECDSA P-256 (cosign generate-key-pair), Ed25519 or RSA of 2048 bits or more.",
  });
}
