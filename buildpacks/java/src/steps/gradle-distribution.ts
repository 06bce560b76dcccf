/**
 * Step (inside the Gradle build): where the wrapper downloads its Gradle distribution from.
 * Air-gapped builds cannot reach services.gradle.org, so the wrapper's `distributionUrl` follows
 * the framework's dependency mirrors, as every other download of the build does:
 * `BP_DEPENDENCY_MIRROR_SERVICES_GRADLE_ORG`, `BP_DEPENDENCY_MIRROR`, a `dependency-mirror`
 * binding (entries named by host or `default`), or a `dependency-mapping` binding entry named by
 * the `distributionSha256Sum`. The properties file is rewritten only for the build and put back
 * after it (the user's file is never left changed); `distributionSha256Sum` stays, so the wrapper
 * still verifies what the mirror served.
 *
 * When the wrapper cannot download or verify the distribution, the failure is one line naming
 * the URL and the setting to use, instead of the wrapper's Java stack trace; an unreachable
 * host is found by a HEAD request before the wrapper runs, in seconds rather than the
 * wrapper's minutes of retries.
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { CnbError, type Settings } from "@cnbkit/framework";
import { envProxyFetch, mirrorEnvName, redactUri, resolveUri } from "@cnbkit/framework/dependencies";
import { WRAPPER_PROPERTIES, withDistributionUrl, wrapperProperty } from "../gradle-wrapper-properties.js";
import type { ErrorLinePicker } from "@cnbkit/framework/process";
import { gradleErrorLine } from "../build-tool-errors.js";
import { access, readFile, writeFile } from "node:fs/promises";
import type { StepContext } from "./step-context.js";

/** The distribution the wrapper will fetch, and how to undo the rewrite. */
export interface WrapperDistribution {
  /** distributionUrl as the app has it. */
  original: string;
  /** What the wrapper is told to fetch (the mirror's URI, or the original). */
  url: string;
  /** The setting that chose `url` (an env var or `binding <name>`), when a mirror or mapping did. */
  source?: string | undefined;
  /** Puts the user's properties file back. */
  restore(): Promise<void>;
}

/** The wrapper's failures start its output's error lines, else Gradle's own (gradleErrorLine). */
export const wrapperErrorLine: ErrorLinePicker = (line, previous) =>
  line.startsWith('Exception in thread "main" ') ? line : gradleErrorLine(line, previous);

/** Points the wrapper at a mirror when one applies; undefined when the app has no wrapper properties or URL. */
export async function mirrorWrapperDistribution(
  ctx: StepContext<"log" | "platform">,
  appDir: string,
  settings: Settings,
): Promise<WrapperDistribution | undefined> {
  const file = join(appDir, WRAPPER_PROPERTIES);
  const text = await readFile(file, "utf8").catch(() => undefined);
  const original = text === undefined ? undefined : wrapperProperty(text, "distributionUrl");
  if (text === undefined || !original) return undefined;
  const sha256 = wrapperProperty(text, "distributionSha256Sum") ?? "";
  const resolved = await resolveUri({ uri: original, sha256 }, settings, ctx.platform.bindings.all);
  if (resolved.via === "original") return { original, url: original, restore: async () => {} };
  await writeFile(file, withDistributionUrl(text, resolved.uri));
  ctx.log.detail(
    `Gradle distribution from ${redactUri(resolved.uri)} (${resolved.via} from ${resolved.source}), not ${original}`,
  );
  return {
    original,
    url: resolved.uri,
    source: resolved.source,
    restore: () => writeFile(file, text),
  };
}

const NETWORK = /^(java\.net\.\w+|java\.io\.FileNotFoundException|javax\.net\.ssl\.\w+|java\.io\.IOException)\b/;

/**
 * The one line for a wrapper that could not fetch or verify its distribution, or undefined when
 * `err` (runTool's error) is some other failure.
 */
export function wrapperFailure(err: unknown, dist: WrapperDistribution): CnbError | undefined {
  if (!(err instanceof CnbError)) return undefined;
  const thrown = /Exception in thread "main" (\S+?):? (.*)$/.exec(err.message);
  if (!thrown) return undefined;
  const [, cls = "", detail = ""] = thrown;
  const shown = redactUri(dist.url);
  if (/Verification of Gradle distribution failed/.test(detail)) {
    return new CnbError(
      `${WRAPPER_PROPERTIES}: the Gradle distribution from ${shown} does not match distributionSha256Sum; put the real gradle-*.zip ${dist.source ? `on the mirror (${dist.source})` : "there"} or fix the checksum`,
    );
  }
  if (!NETWORK.test(cls)) return undefined;
  const why = `${cls.replace(/^.*\./, "")}${detail && !detail.includes(dist.url) ? `: ${detail}` : ""}`;
  if (dist.source) {
    return new CnbError(
      `${WRAPPER_PROPERTIES}: the Gradle distribution ${shown} could not be downloaded (${why}); check that the mirror set by ${dist.source} is up and has ${new URL(dist.original).pathname}`,
    );
  }
  return unreachable(dist, why);
}

/** The one line for a distribution that cannot be fetched: it names the URL and the setting to use. */
function unreachable(dist: WrapperDistribution, why: string): CnbError {
  const shown = redactUri(dist.url);
  if (dist.source) {
    return new CnbError(
      `${WRAPPER_PROPERTIES}: the Gradle distribution ${shown} could not be downloaded (${why}); check that the mirror set by ${dist.source} is up and has ${new URL(dist.original).pathname}`,
    );
  }
  const host = new URL(dist.original).hostname;
  return new CnbError(
    `${WRAPPER_PROPERTIES}: the Gradle distribution ${shown} could not be downloaded (${why}); set ${mirrorEnvName(host)} (or BP_DEPENDENCY_MIRROR, or a dependency-mirror binding) to a mirror that has it`,
  );
}

/** How long the preflight waits for the distribution's host to answer. */
export const PREFLIGHT_TIMEOUT_MS = 10_000;

/**
 * Fails in one line, within seconds, when the distribution the wrapper is about to download
 * cannot be reached: a HEAD request through the build's proxies. Gradle 9's wrapper retries
 * an unreachable host for over five minutes before it gives up. Skipped when GRADLE_USER_HOME
 * already holds the distribution (the wrapper then needs no network) and for non-http URLs.
 */
export async function checkDistributionReachable(
  dist: WrapperDistribution,
  gradleUserHome: string,
  env: Settings,
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
): Promise<void> {
  if (!/^https?:\/\//.test(dist.url) || (await wrapperHasDistribution(gradleUserHome, dist.url))) return;
  let why: string | undefined;
  try {
    const res = await envProxyFetch(env)(dist.url, {
      method: "HEAD",
      redirect: "follow",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    // A server that does not do HEAD (405, 501) still answered: the wrapper's GET may work.
    if (res.status >= 400 && res.status !== 405 && res.status !== 501) why = `HTTP ${res.status}`;
  } catch (err) {
    // fetch refuses some ports outright (its "bad ports"): it could not ask, so the wrapper will.
    if (/bad port/i.test((err as Error).cause ? String((err as { cause?: unknown }).cause) : String(err))) return;
    why = networkReason(err, timeoutMs);
  }
  if (why) throw unreachable(dist, why);
}

/** A fetch failure in a few words: the system's code, a timeout, or the proxy's answer. */
function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `no answer in ${timeoutMs / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * True when GRADLE_USER_HOME holds the distribution from `url`, unpacked and marked complete,
 * where Gradle's wrapper looks: wrapper/dists/<zip name without .zip>/<base-36 MD5 of the
 * URL>/<zip name>.ok (its PathAssembler and Install).
 */
export async function wrapperHasDistribution(gradleUserHome: string, url: string): Promise<boolean> {
  const zip = basename(new URL(url).pathname);
  const hash = BigInt(`0x${createHash("md5").update(url, "utf8").digest("hex")}`).toString(36);
  const marker = join(gradleUserHome, "wrapper", "dists", zip.replace(/\.zip$/, ""), hash, `${zip}.ok`);
  return access(marker).then(
    () => true,
    () => false,
  );
}
