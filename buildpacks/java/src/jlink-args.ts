/**
 * jlink's command line from BP_JVM_JLINK_ARGS, as Paketo's libjvm (jlink.go) builds it: the
 * user's words, or `--no-man-pages --no-header-files --strip-debug --compress=1`; when they
 * name no `--add-modules`, every `java.*` module of the JDK is added; an `--output` in them
 * is dropped (the layer is the output). Pure.
 */
import { shellWords } from "@cnbkit/framework/process";

/** Paketo's default BP_JVM_JLINK_ARGS. */
export const DEFAULT_JLINK_ARGS = "--no-man-pages --no-header-files --strip-debug --compress=1";

/** The arguments before `--output`, and what was changed in the user's. */
export interface JlinkArguments {
  args: string[];
  /** The user's `--output` was dropped. */
  droppedOutput: boolean;
  /** `--add-modules` with the JDK's `java.*` modules was added (the args named none). */
  addedModules: boolean;
}

/**
 * @example
 * jlinkArguments({}, ["java.base", "java.sql", "jdk.jfr"]).args
 * // ["--no-man-pages", "--no-header-files", "--strip-debug", "--compress=1", "--add-modules", "java.base,java.sql"]
 */
export function jlinkArguments(env: Record<string, string | undefined>, jdkModules: readonly string[]): JlinkArguments {
  const words = shellWords(env.BP_JVM_JLINK_ARGS?.trim() || DEFAULT_JLINK_ARGS, "BP_JVM_JLINK_ARGS");
  const args: string[] = [];
  let droppedOutput = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "--output") {
      droppedOutput = true;
      i++;
      continue;
    }
    if (w.startsWith("--output=")) {
      droppedOutput = true;
      continue;
    }
    args.push(w);
  }
  const named = args.some((a) => a === "--add-modules" || a.startsWith("--add-modules="));
  if (!named) {
    const java = jdkModules.filter((m) => m.startsWith("java.")).sort();
    args.push("--add-modules", java.join(","));
  }
  return { args, droppedOutput, addedModules: !named };
}
