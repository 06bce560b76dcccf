/**
 * The Maven version an app's wrapper runs, from `.mvn/wrapper/maven-wrapper.properties`
 * (`distributionUrl=.../apache-maven-3.5.2-bin.zip`, every Maven wrapper since 0.x), and which
 * of the default flags that Maven understands: `--no-transfer-progress` came in Maven 3.6.1,
 * and older ones (vert.x's starter pins 3.5.2) stop at once with "Unrecognized option".
 * Pure: the caller reads the file.
 */

/** The first Maven that knows `--no-transfer-progress` (`-ntp`). */
const NO_TRANSFER_PROGRESS_SINCE = [3, 6, 1] as const;

/**
 * What Maven before 3.6.1 takes instead of `--no-transfer-progress`: the transfer listener's
 * logger at WARN (Maven logs through slf4j's simple logger since 3.1), the usual way to quiet
 * download lines then.
 */
export const QUIET_TRANSFERS_PROPERTY =
  "-Dorg.slf4j.simpleLogger.log.org.apache.maven.cli.transfer.Slf4jMavenTransferListener=warn";

/**
 * The Maven version in a maven-wrapper.properties text, or undefined when its
 * distributionUrl names no `apache-maven-<version>-bin` archive (a mirror with another name).
 *
 * @example
 * wrapperMavenVersion("distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.5.2/apache-maven-3.5.2-bin.zip") // "3.5.2"
 */
export function wrapperMavenVersion(properties: string): string | undefined {
  const url = /^\s*distributionUrl\s*[=:]\s*(\S+)/m.exec(properties)?.[1];
  return url ? /apache-maven-(\d+(?:\.\d+)*)[^/]*-bin\.(?:zip|tar\.gz)$/.exec(url)?.[1] : undefined;
}

/** Whether Maven `version` (e.g. "3.5.2") knows `--no-transfer-progress`; an unknown version is taken to. */
export function knowsNoTransferProgress(version: string | undefined): boolean {
  if (!version) return true;
  const parts = version.split(".").map(Number);
  for (const [i, min] of NO_TRANSFER_PROGRESS_SINCE.entries()) {
    const v = parts[i] ?? 0;
    if (v !== min) return v > min;
  }
  return true;
}

/**
 * `args` for Maven `version`: before 3.6.1, `--no-transfer-progress` / `-ntp` becomes
 * {@link QUIET_TRANSFERS_PROPERTY}; otherwise `args` unchanged.
 *
 * @example
 * argsForMaven(["package", "--no-transfer-progress"], "3.5.2") // ["package", QUIET_TRANSFERS_PROPERTY]
 */
export function argsForMaven(args: readonly string[], version: string | undefined): string[] {
  if (knowsNoTransferProgress(version)) return [...args];
  return args.map((a) => (a === "--no-transfer-progress" || a === "-ntp" ? QUIET_TRANSFERS_PROPERTY : a));
}
