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

/**
 * A one-line message for a failed lifecycle run. `output` (the last lines printed) is used
 * to name the buildpacks that ran detect or the one that failed.
 */
export function exitMessage(code: number, output: string[], group: string[] = []): string {
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
      const m = /exit status (\d+)/.exec(text);
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
