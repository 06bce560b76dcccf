/**
 * What a registry request that failed is worth retrying, and how long to wait first: network
 * errors sorted into retryable (a dropped connection) and fatal (nothing listens there), the
 * registry's own error body and Retry-After header read, and the doubling back-off.
 */

/** Network error codes worth another try: the connection dropped, the answer may come next time. */
export const RETRYABLE_NET = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
]);

/** Network error codes no retry helps with, as the words of the one-line error. */
export const FATAL_NET: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
};

/** The error code of `err` or of its causes (fetch wraps the socket's error), if any. */
export function netCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: string }).code;
    if (code) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The first line of the innermost message of `err` and its causes: the one that says what happened. */
export function errorMessage(err: unknown): string {
  let e: unknown = err;
  let msg = String(err);
  for (let i = 0; i < 4 && e; i++) {
    if (e instanceof Error) msg = e.message;
    e = (e as { cause?: unknown }).cause;
  }
  return msg.split("\n")[0]!;
}

/** The registry's error body (`{"errors":[{code, message}]}`, else its first line) as ` (…)`, or "". */
export function registryError(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return ` (${[e.code, e.message].filter(Boolean).join(": ")})`;
  } catch {
    // not JSON
  }
  return text ? ` (${text.split("\n")[0]})` : "";
}

/** The wait a Retry-After header asks for (seconds or an HTTP date), in ms; undefined if none. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isFinite(at) && at > Date.now() ? at - Date.now() : undefined;
}

/**
 * The wait before retry `attempt` (1 = the first retry): our own back-off doubles from
 * `backoffMs` up to 10 s; Retry-After is what the registry asked for, honoured up to a minute.
 */
export function backoffDelay(attempt: number, backoffMs: number, retryAfter?: number): number {
  const own = Math.min(backoffMs * 2 ** (attempt - 1), 10_000);
  return Math.max(own, Math.min(retryAfter ?? 0, 60_000));
}
