/**
 * What {@link download} takes: the artifact, and the options that choose its URI, cache and
 * retry policy. Apart from download.ts so that the HTTP fetcher (http-fetch.ts) reads the same
 * options without importing the function that calls it.
 */
import type { Binding } from "../environment/index.js";

/** The logger methods downloads use (a {@link import("../log/index.js").Logger} fits). */
export interface DownloadLog {
  detail(text: string): void;
  warn(text: string): void;
  debug?(text: string): void;
}

/** Options for {@link download}. */
export interface DownloadOptions {
  /** The build's environment: BP_DEPENDENCY_MIRROR* are read from here. */
  env: Record<string, string | undefined>;
  /** Platform bindings: `dependency-mapping` and `dependency-mirror` are used. */
  bindings?: readonly Binding[];
  /** A directory of verified downloads keyed by sha256 (e.g. a cache layer). */
  cacheDir?: string;
  log?: DownloadLog;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First back-off delay; doubles each retry (default 1000 ms). */
  minBackoffMs?: number;
  /** Longest wait honoured from Retry-After or back-off (default 30 s). */
  maxBackoffMs?: number;
  /** Abort and retry an attempt when no bytes arrive for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Minimum time between progress lines (default 2 s on a terminal, 10 s otherwise). */
  progressIntervalMs?: number;
  /** The file name inside destDir (default: the last segment of the original URI's path). */
  fileName?: string;
  /**
   * A `file://` source (an offline buildpackage's own copy) is verified where it is and its
   * path returned, instead of being copied into `destDir`: for a caller that only reads it.
   */
  inPlace?: boolean;
  /** Injected for tests; defaults to the global fetch through HTTP(S)_PROXY when set ({@link envProxyFetch}). */
  fetch?: typeof fetch;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** What {@link download} needs to know about an artifact. */
export interface DownloadTarget {
  id?: string;
  version?: string;
  uri: string;
  sha256: string;
}
