/**
 * Turns a lifecycle exit status into one line a user can act on.
 *
 * The codes are the platform spec's (lifecycle `platform/exit.go`): 20-29 detect, 30-39
 * analyze, 40-49 restore, 50-59 build, 60-69 export, 70-79 rebase, 80-89 launch, 90-99
 * generate, 100-109 extend; 11 and 12 are platform and buildpack API mismatches.
 */

/** The lifecycle's exit codes that cnbkit explains. */
export const LIFECYCLE_EXIT = {
  platformApi: 11,
  buildpackApi: 12,
  failedDetect: 20,
  failedDetectWithErrors: 21,
  detectError: 22,
  analyzeError: 32,
  restoreError: 42,
  failedBuild: 51,
  buildError: 52,
  exportError: 62,
  rebaseError: 72,
  launchError: 82,
} as const;

/** A buildpack of the detected group as the build output shows it. */
export interface GroupBuildpack {
  id: string;
  version: string;
  /** `[buildpack].name` of its buildpack.toml, when known: cnbkit buildpacks head their output with it. */
  name?: string;
}

/** The buildpack whose build failed and its own one-line reason, as read from the build output. */
export interface BuildFailure {
  id: string;
  version: string;
  /** Its last `error: ` line (cnbkit's formatError prints exactly one), without the prefix. */
  error?: string;
  /** The hint line formatError printed under it (indented by two spaces), trimmed. */
  hint?: string;
}

/** formatError's hint line: two spaces, then text. */
const HINT_LINE = /^ {2}\S/;

/**
 * Follows the BUILDING phase's output to tell which buildpack failed. At info level the
 * lifecycle names no buildpack while building, so it goes by the header line each cnbkit
 * buildpack prints first (`<name or id> <version>`, framework log.header), in group order,
 * and keeps the last `error: ` line printed after it, with its hint.
 *
 * The failing buildpack's last words are its `error: ` line and hint, and cnbkit ends the
 * build with one line that names the buildpack and repeats them. So that the user reads them
 * once, the tracker holds an `error: ` line (and the hint under it) back instead of showing
 * it: {@link BuildFailureTracker.flush} shows what it holds when the build went on or
 * succeeded after all, and {@link BuildFailureTracker.failure} takes it for the final line.
 * Only lines of the error's own stream can be its hint or end the hold; the other stream's
 * lines are shown as they come.
 *
 * @example
 * const t = new BuildFailureTracker([{ id: "cnbkit/nodejs", version: "0.1.0", name: "cnbkit Node.js" }]);
 * t.line("cnbkit Node.js 0.1.0", "stdout", show); // shown
 * t.line("error: package.json: bad", "stderr", show); // held
 * t.failure(); // { id: "cnbkit/nodejs", version: "0.1.0", error: "package.json: bad" }
 */
export class BuildFailureTracker {
  private current = -1;
  private error: string | undefined;
  private hint: string | undefined;
  /** The held lines' show functions and the stream they came on. */
  private held: (() => void)[] = [];
  private heldStream: string | undefined;

  /** @param group the detected group, in build order */
  constructor(private readonly group: readonly GroupBuildpack[]) {}

  /**
   * One line of build output, colours already stripped, from `stream`; `show` prints it, now
   * or (when the line is held) later.
   */
  line(plain: string, stream: string, show: () => void): void {
    if (this.held.length > 0 && stream === this.heldStream) {
      if (this.held.length === 1 && HINT_LINE.test(plain)) {
        this.hint = plain.trim();
        this.held.push(show);
        return;
      }
      // The lifecycle's own line about the failed build: the held error was the last word.
      if (!/^ERROR: failed to build/.test(plain)) this.flush();
    }
    // formatError's line starts the line; indented "error: " is someone's output.
    const e = /^error: (.+)$/.exec(plain.trimEnd());
    if (e?.[1]) {
      this.flush();
      this.error = e[1].trim();
      this.hint = undefined;
      this.held = [show];
      this.heldStream = stream;
      return;
    }
    const text = plain.trim();
    // Headers come in group order: look only at buildpacks after the current one.
    for (let i = this.current + 1; i < this.group.length; i++) {
      const bp = this.group[i];
      if (bp && (text === `${bp.name ?? bp.id} ${bp.version}` || text === `${bp.id} ${bp.version}`)) {
        this.flush(); // the next buildpack runs: the held error was not the build's end
        this.current = i;
        this.error = undefined;
        this.hint = undefined;
        break;
      }
    }
    show();
  }

  /** Shows the held lines (the build went on, or ended without taking them). */
  flush(): void {
    const held = this.held;
    this.held = [];
    for (const show of held) show();
  }

  /**
   * The buildpack that was building last, with its error line and hint; undefined when no
   * header was seen. The held lines are dropped: the caller's final line says them.
   */
  failure(): BuildFailure | undefined {
    const bp = this.group[this.current];
    if (!bp) {
      this.flush();
      return undefined;
    }
    this.held = [];
    return {
      id: bp.id,
      version: bp.version,
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

/**
 * A one-line message for a failed lifecycle run. `output` (the last lines printed) is used
 * to name the buildpacks that ran detect; `failure` (from {@link BuildFailureTracker}) names
 * the buildpack that failed its build and repeats its own error line.
 *
 * @example
 * exitMessage(51, ["ERROR: failed to build: exit status 1"], ["cnbkit/nodejs@0.1.0"],
 *   { id: "cnbkit/nodejs", version: "0.1.0", error: "package.json: bad" });
 * // "cnbkit/nodejs failed to build: package.json: bad"
 */
export function exitMessage(code: number, output: string[], group: string[] = [], failure?: BuildFailure): string {
  const text = output.join("\n");
  switch (code) {
    case LIFECYCLE_EXIT.failedDetect:
    case LIFECYCLE_EXIT.failedDetectWithErrors: {
      const ran = [...text.matchAll(/^(?:\S+\s+)?(?:fail|skip|pass|err):\s+(\S+)/gm)].map((m) => m[1]);
      const list = ran.length ? ` (ran: ${[...new Set(ran)].join(", ")})` : "";
      return code === 20
        ? `no buildpack group passed detection${list}`
        : `no buildpack group passed detection and a buildpack errored${list}`;
    }
    case LIFECYCLE_EXIT.failedBuild: {
      if (failure?.error) return `${failure.id} failed to build: ${failure.error}`;
      const m = /exit status (\d+)/.exec(text);
      if (failure) return `${failure.id} failed to build${m ? ` (exit status ${m[1]})` : ""}; its output is above`;
      const in_ = group.length ? ` in group ${group.join(", ")}` : "";
      return `a buildpack failed to build${m ? ` (exit status ${m[1]})` : ""}${in_}; its output is above`;
    }
    case LIFECYCLE_EXIT.platformApi:
      return "the builder's lifecycle does not support platform API 0.14";
    case LIFECYCLE_EXIT.buildpackApi:
      return "a buildpack's API version is not supported by the builder's lifecycle";
    default: {
      const phase =
        code >= 20 && code < 30
          ? "detect"
          : code >= 30 && code < 40
            ? "analyze"
            : code >= 40 && code < 50
              ? "restore"
              : code >= 50 && code < 60
                ? "build"
                : code >= 60 && code < 70
                  ? "export"
                  : "lifecycle";
      const last = [...output].reverse().find((l) => /ERROR|error/.test(l));
      return `${phase} failed (lifecycle exit code ${code})${last ? `: ${last.replace(/^.*?ERROR:\s*/, "")}` : ""}`;
    }
  }
}
