/**
 * DSSE envelopes around in-toto statements, as `cosign attest` writes them and
 * `cosign verify-attestation` checks them: the signature covers the pre-authentication
 * encoding (PAE) of the payload type and body, never the JSON of the envelope.
 */
import type { SigningKey, VerifyKey } from "./keys.js";

/** The media type of an attestation layer. */
export const DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";

/** The payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** A DSSE envelope (base64 payload, one signature per key). */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** DSSE's pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>`. */
export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

/** Signs `statement` (any JSON value) into an envelope's bytes. */
export function signEnvelope(statement: unknown, key: SigningKey): Buffer {
  const body = Buffer.from(JSON.stringify(statement));
  const sig = key.sign(pae(IN_TOTO_PAYLOAD_TYPE, body)).toString("base64");
  const envelope: DsseEnvelope = {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: body.toString("base64"),
    signatures: [{ keyid: "", sig }],
  };
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * The statement inside `bytes` when one of its signatures verifies under `key`; undefined
 * when none does or the bytes are no envelope of an in-toto statement.
 */
export function openEnvelope(bytes: Buffer, key: VerifyKey): unknown | undefined {
  let envelope: DsseEnvelope;
  try {
    envelope = JSON.parse(bytes.toString("utf8")) as DsseEnvelope;
  } catch {
    return undefined;
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof envelope.payload !== "string") return undefined;
  const body = Buffer.from(envelope.payload, "base64");
  const signed = pae(envelope.payloadType, body);
  const ok = (envelope.signatures ?? []).some((s) => key.verify(signed, Buffer.from(s.sig ?? "", "base64")));
  if (!ok) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}
