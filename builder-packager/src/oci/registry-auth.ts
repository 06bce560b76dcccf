/**
 * Authentication of a `RegistryClient`'s requests: the credentials (the Docker config's,
 * or given), the registry's last challenge (basic or bearer), and bearer tokens fetched once
 * per scope and shared by concurrent requests. A refusal is one line that says whether
 * credentials were missing or refused.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CnbError, isCnbError } from "@cnbkit/framework";
import { basicAuth, type Credentials, loadCredentials, parseChallenge } from "./auth.js";
import type { HttpAnswer, HttpSend } from "./registry-http.js";
import { errorMessage, FATAL_NET, netCode, RETRYABLE_NET } from "./registry-retry.js";

/**
 * The registry said no (401 after authenticating, or 403), with what it said in `reason`
 * (its error code and message, or ""): a caller that knows the credentials work (other pushes
 * to the repository went through) can name the registry's policy instead.
 */
export class RegistryRefusal extends CnbError {
  constructor(
    readonly reason: string,
    message: string,
    options?: { hint?: string },
  ) {
    super(message, options);
  }
}

/** The token scope of a request: pull (or pull,push) on `repo`, plus extra scopes (mount sources). */
export function authScope(repo: string | undefined, push: boolean, extra: string[] = []): string {
  return [repo ? `repository:${repo}:${push ? "pull,push" : "pull"}` : "", ...extra].join(" ");
}

/** The auth state of one registry host: credentials, the last challenge, tokens per scope. */
export class RegistryAuth {
  /** Last challenge seen, so new scopes authenticate without a 401 round trip. */
  challenge: { scheme: string; params: Record<string, string> } | undefined;
  private credentials: Credentials | undefined | null = null;
  private readonly tokens = new Map<string, Promise<string>>();

  /**
   * @param retry the client's attempts and first back-off, which token requests use too
   * @param credentials credentials to use instead of the Docker config's
   */
  constructor(
    private readonly registry: string,
    private readonly send: HttpSend,
    private readonly retry: { attempts: number; backoffMs: number },
    credentials?: Credentials,
  ) {
    if (credentials) this.credentials = credentials;
  }

  private async creds(): Promise<Credentials | undefined> {
    if (this.credentials === null) this.credentials = await loadCredentials(this.registry);
    return this.credentials;
  }

  private refused(repo: string | undefined, anonymous: boolean, reason = ""): RegistryRefusal {
    const what = repo ?? "the registry";
    const said = reason ? ` (${reason})` : "";
    return anonymous
      ? new RegistryRefusal(
          reason,
          `registry ${this.registry} requires credentials for ${what}: none found in ~/.docker/config.json${said}`,
          {
            hint: "add them with `docker login` or to the auths of $DOCKER_CONFIG/config.json",
          },
        )
      : new RegistryRefusal(
          reason,
          `registry ${this.registry} refused credentials for ${what}: check ~/.docker/config.json${said}`,
        );
  }

  /** The refusal of a request on `repo` (credentials missing, or refused), with the registry's `reason`. */
  async refusal(repo: string | undefined, reason = ""): Promise<RegistryRefusal> {
    return this.refused(repo, !(await this.creds()), reason);
  }

  /**
   * A 401's challenge learnt: the Authorization header to try again with. `used` is the one
   * the refused request carried: its cached token is dropped (it may have expired), while
   * requests that went out before the challenge was known share the first token request.
   */
  async challenged(
    header: string | null,
    used: string | undefined,
    scopeKey: string,
    repo: string | undefined,
  ): Promise<string | undefined> {
    if (!header) throw await this.refusal(repo);
    this.challenge = parseChallenge(header);
    if (used) this.tokens.delete(scopeKey);
    return this.authorize(scopeKey, repo);
  }

  /** Gets an Authorization header for a scope from the last challenge (token request for bearer). */
  async authorize(scopeKey: string, repo: string | undefined): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    const creds = await this.creds();
    if (ch.scheme === "basic") {
      if (!creds) throw this.refused(repo, true);
      return basicAuth(creds);
    }
    if (ch.scheme !== "bearer") throw new CnbError(`registry ${this.registry}: unsupported auth scheme "${ch.scheme}"`);
    const cached = this.tokens.get(scopeKey);
    if (cached) return cached;
    // One token request per scope, shared by concurrent requests.
    const pending = this.fetchToken(ch.params, scopeKey, repo, creds);
    this.tokens.set(scopeKey, pending);
    pending.catch(() => this.tokens.delete(scopeKey));
    return pending;
  }

  private async fetchToken(
    params: Record<string, string>,
    scopeKey: string,
    repo: string | undefined,
    creds: Credentials | undefined,
  ): Promise<string> {
    const realm = params.realm;
    if (!realm) throw new CnbError(`registry ${this.registry}: bearer challenge without a realm`);
    const url = new URL(realm);
    if (params.service) url.searchParams.set("service", params.service);
    for (const s of scopeKey.split(" ").filter(Boolean)) url.searchParams.append("scope", s);
    const res = await this.tokenAnswer(url, creds);
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.refused(repo, !creds);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new CnbError(`registry ${this.registry}: token service ${url.host} answered ${res.status}`);
    }
    let body: { token?: string; access_token?: string };
    try {
      body = (await res.json()) as typeof body;
    } catch (err) {
      // a cut answer or not JSON: one line, not undici's "terminated"
      throw new CnbError(
        `registry ${this.registry}: token service ${url.host} sent no readable token (${errorMessage(err)})`,
        {
          hint: "run the command again",
        },
      );
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new CnbError(`registry ${this.registry}: token service ${url.host} returned no token`);
    return `Bearer ${token}`;
  }

  /** The token service's answer, retried with back-off on 5xx, 429 and dropped connections. */
  private async tokenAnswer(url: URL, creds: Credentials | undefined): Promise<HttpAnswer> {
    const { attempts, backoffMs } = this.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.send(url.toString(), {
          method: "GET",
          headers: creds ? { authorization: basicAuth(creds) } : {},
        });
        if ((res.status >= 500 || res.status === 429) && attempt < attempts) {
          await res.body?.cancel();
          await sleep(backoffMs * 2 ** (attempt - 1));
          continue;
        }
        return res;
      } catch (err) {
        if (isCnbError(err)) throw err; // the proxy, named by envProxyFetch
        if (attempt >= attempts || !RETRYABLE_NET.has(netCode(err) ?? "")) {
          throw new CnbError(
            `cannot reach token service ${url.host}: ${FATAL_NET[netCode(err) ?? ""] ?? errorMessage(err)}`,
          );
        }
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  }
}
