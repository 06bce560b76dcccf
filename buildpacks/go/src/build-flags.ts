/**
 * `go build`'s flags and environment from the settings: a pure decision.
 *
 * Defaults: `-trimpath` and `-buildvcs=false` (no build paths and no VCS stamp in the binary,
 * so the same sources give the same bytes on any machine, with or without .git), `-ldflags
 * "-s -w"` (no symbol table or DWARF: about 30% smaller, and `go version -m` still reads the
 * module list), and `-mod=vendor` for a vendored app. BP_GO_BUILD_FLAGS adds flags (an
 * `-ldflags` there replaces the default one); BP_GO_BUILD_LDFLAGS replaces the default
 * linker flags. CGO_ENABLED is 0 unless the app needs cgo (cgo.ts).
 */
import { CnbError } from "@cnbkit/framework";
import { shellWords } from "@cnbkit/framework/process";

/** The default linker flags: strip the symbol table and DWARF. */
export const DEFAULT_LDFLAGS = "-s -w";

/** What the flags depend on. */
export interface BuildFlagInputs {
  /** BP_GO_BUILD_FLAGS, BP_GO_BUILD_LDFLAGS. */
  flags?: string;
  ldflags?: string;
  /** The app has vendor/modules.txt (and no workspace, where go refuses -mod=vendor before 1.22). */
  vendored: boolean;
}

/**
 * The arguments between `go build` and `-o`: defaults first, then the user's, so a user flag
 * given twice wins (the go command keeps the last).
 *
 * @example
 * goBuildFlags({ vendored: false }); // ["-trimpath", "-buildvcs=false", "-ldflags=-s -w"]
 * @throws CnbError for both BP_GO_BUILD_LDFLAGS and an -ldflags in BP_GO_BUILD_FLAGS, or a flag that sets the output
 */
export function goBuildFlags(i: BuildFlagInputs): string[] {
  const user = i.flags?.trim() ? shellWords(i.flags, "BP_GO_BUILD_FLAGS") : [];
  const userLdflags = user.some((f) => /^--?ldflags(=|$)/.test(f));
  const ldflags = i.ldflags?.trim();
  if (userLdflags && ldflags) {
    throw new CnbError(
      "BP_GO_BUILD_FLAGS has -ldflags and BP_GO_BUILD_LDFLAGS is set too: the build can use only one",
      {
        hint: "Move the linker flags into BP_GO_BUILD_LDFLAGS (or drop it)",
      },
    );
  }
  const output = user.find((f) => /^--?o(=|$)/.test(f));
  if (output) {
    throw new CnbError(`BP_GO_BUILD_FLAGS: ${output} sets the binary's path, which the buildpack chooses`, {
      hint: "Drop -o; name the packages to build with BP_GO_TARGETS (each binary is named after its dir)",
    });
  }
  const args = ["-trimpath", "-buildvcs=false"];
  if (!userLdflags) args.push(`-ldflags=${ldflags ?? DEFAULT_LDFLAGS}`);
  if (i.vendored && !user.some((f) => /^--?mod(=|$)/.test(f))) args.push("-mod=vendor");
  return [...args, ...user];
}

/**
 * The flags as the cache key and the log show them: one string, so a change of any flag
 * rebuilds the binaries, and the log line reads as the command did.
 */
export function flagsKey(flags: readonly string[]): string {
  return flags.map((f) => (/[\s"']/.test(f) ? JSON.stringify(f) : f)).join(" ");
}
