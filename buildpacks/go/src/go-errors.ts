/**
 * The one line a failed go command is reported by: its first line that names a cause (a
 * compile error `./main.go:12:2: undefined: x`, a `go: ...` complaint), not the `# package`
 * header or a download line, with a hint for the failures whose fix is always the same. Pure.
 */
import { CnbError } from "@cnbkit/framework";
import type { ToolFailure } from "@cnbkit/framework/process";

/** A line of go's output that states a cause, or undefined. */
export function goErrorLine(line: string): string | undefined {
  const l = line.trim();
  if (/^go: (downloading|finding|extracting|found) /.test(l)) return undefined;
  if (/^\S+\.go:\d+(:\d+)?: /.test(l) || /^go: /.test(l) || /^(package|cannot find|no required module) /.test(l)) {
    // "missing go.sum entry ...; to add:" ends where go's suggested command starts, on the next
    // line: the hint says what to run instead, so the line stops at the cause.
    return l.replace(/;\s*to add( it)?:$/, "");
  }
  return undefined;
}

/** The failures whose fix is known, by what the output says. */
const HINTS: Array<[RegExp, string]> = [
  [/missing go\.sum entry|go: updates to go\.mod needed/, "Run `go mod tidy` and commit go.mod and go.sum"],
  [
    /inconsistent vendoring|vendor\/modules\.txt/,
    "Run `go mod vendor` and commit vendor/, or delete vendor/ to download modules instead",
  ],
  [
    /pattern .*: no matching files found/,
    "A file a //go:embed line names is not in the app: commit it (a generated file, such as one `go generate` writes, is often in .gitignore)",
  ],
  [/requires go >= |toolchain not available/, "Set BP_GO_VERSION to a newer Go, or lower the go line in go.mod"],
  [
    /terminal prompts disabled|could not read Username/,
    "A private module: set GOPRIVATE (cnbkit build --env GOPRIVATE=…) and give credentials with a binding of type netrc",
  ],
  // The proxy answers 403, 404 or 410 alike for a private module and for a public version it
  // does not serve (an unpublished pseudo-version, a deleted tag): the hint names both.
  [
    /410 Gone|reading .*: 40[134]/,
    "The module proxy does not serve that version: if the module is private, set GOPRIVATE (cnbkit build --env GOPRIVATE=…) and give credentials with a binding of type netrc; if it is public, require a version the proxy has (go list -m -versions <module>)",
  ],
];

/** Explains a failed go command: its first cause line, with a hint when one fits. */
export function explainGo(failure: ToolFailure): CnbError {
  const lines = failure.output.split("\n");
  const cause = lines.map(goErrorLine).find((l) => l !== undefined) ?? lines.filter((l) => l.trim()).pop() ?? "";
  const hint = HINTS.find(([re]) => re.test(failure.output))?.[1];
  const what = failure.command.slice(1, 2).join(" ") || "go";
  return new CnbError(`go ${what} failed (${failure.status}): ${cause.trim()}`, hint ? { hint } : {});
}
