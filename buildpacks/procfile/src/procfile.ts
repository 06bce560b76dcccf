/**
 * Procfile parsing: `type: command` lines (Heroku's format), comments and blank lines
 * skipped. A bad line is one error naming `Procfile:<line>`.
 */
import { CnbError } from "@cnbkit/framework";
import type { BuildpackPlanEntry } from "@cnbkit/framework/cnb-files";

/** One Procfile entry. */
export interface ProcfileEntry {
  type: string;
  command: string;
  /** 1-based line number, for messages. */
  line: number;
}

const LINE = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*:\s*(.*)$/;

/**
 * Parses Procfile text. Process types follow the CNB rule (letters, digits, '.', '_', '-');
 * a type may appear only once; a command may not be empty.
 *
 * @example
 * parseProcfile("web: node server.js\nworker: node worker.js\n")
 * // [{ type: "web", command: "node server.js", line: 1 }, { type: "worker", command: "node worker.js", line: 2 }]
 */
export function parseProcfile(text: string, file = "Procfile"): ProcfileEntry[] {
  const out: ProcfileEntry[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === "" || t.startsWith("#")) return;
    const m = LINE.exec(t);
    if (!m) {
      throw new CnbError(`${file}:${line}: expected "<type>: <command>", got ${JSON.stringify(t)}`, {
        hint: "Process types may contain letters, digits, '.', '_' and '-'",
      });
    }
    const [, type, command] = m as unknown as [string, string, string];
    if (command.trim() === "") throw new CnbError(`${file}:${line}: process "${type}" has an empty command`);
    const before = seen.get(type);
    if (before !== undefined)
      throw new CnbError(`${file}:${line}: process "${type}" is already defined on line ${before}`);
    seen.set(type, line);
    out.push({ type, command: command.trim(), line });
  });
  return out;
}

/** The launch processes for entries: `bash -c <command>`; `web` (or a lone entry) is the default. */
export function procfileProcesses(
  entries: readonly ProcfileEntry[],
): { type: string; command: string[]; default: boolean }[] {
  const defaultType = entries.some((e) => e.type === "web")
    ? "web"
    : entries.length === 1
      ? entries[0]!.type
      : undefined;
  return entries.map((e) => ({ type: e.type, command: ["bash", "-c", e.command], default: e.type === defaultType }));
}

/**
 * The entries detect put in the build plan (`metadata.processes`, a list of `{ type, command }`),
 * or undefined when no plan entry carries them (a plan written before detect read the Procfile,
 * or a Procfile that did not parse at detect).
 */
export function entriesFromPlan(plan: readonly BuildpackPlanEntry[]): ProcfileEntry[] | undefined {
  for (const entry of plan) {
    const processes = entry.metadata.processes;
    if (!Array.isArray(processes)) continue;
    return processes.map((p, i) => {
      const { type, command } = (p ?? {}) as { type?: unknown; command?: unknown };
      if (typeof type !== "string" || typeof command !== "string") {
        throw new CnbError(`build plan: procfile processes[${i}] needs string "type" and "command"`);
      }
      return { type, command, line: i + 1 };
    });
  }
  return undefined;
}
