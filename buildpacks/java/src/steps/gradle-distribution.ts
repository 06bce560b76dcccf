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
 * the URL and the setting to use, instead of the wrapper's Java stack trace.
 */
import { join } from "node:path";
import { type BuildContext, CnbError, type Settings } from "@cnbkit/framework";
import { mirrorEnvName, redactUri, resolveUri } from "@cnbkit/framework/dependencies";
import { WRAPPER_PROPERTIES, withDistributionUrl, wrapperProperty } from "../gradle-wrapper-properties.js";
import type { ErrorLinePicker } from "@cnbkit/framework/process";
import { gradleErrorLine } from "../build-tool-errors.js";
import type { JavaMetadata } from "./resolve-jvm.js";
import { readFile, writeFile } from "node:fs/promises";

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
  ctx: BuildContext<JavaMetadata>,
  settings: Settings,
): Promise<WrapperDistribution | undefined> {
  const file = join(ctx.app.path, WRAPPER_PROPERTIES);
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
  const host = new URL(dist.original).hostname;
  return new CnbError(
    `${WRAPPER_PROPERTIES}: the Gradle distribution ${shown} could not be downloaded (${why}); set ${mirrorEnvName(host)} (or BP_DEPENDENCY_MIRROR, or a dependency-mirror binding) to a mirror that has it`,
  );
}
