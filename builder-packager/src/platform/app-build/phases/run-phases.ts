/**
 * Runs a phase-by-phase build's command lines one after the other, each in a container of
 * its own (the caller's `run`, which owns the container setup), and stops at the first
 * phase that fails.
 */
import { CnbError } from "@cnbkit/framework";
import type { PhaseCommand } from "./flag-sets.js";
import { PHASES, type Phase } from "./phase.js";

/** How the phases ended: exit code 0, or the failing phase's code. */
export interface PhasesResult {
  code: number;
  /** The phase that failed (its exit code is `code`); undefined when all passed. */
  failed?: Phase;
}

/**
 * Runs `commands` in order: `header` gets each phase's header line (`===> DETECTING`, as the
 * creator prints them) before `run` starts it. The detector and builder refuse root, so a
 * CNB user of uid 0 is one line before anything runs.
 *
 * @example
 * const r = await runPhases(phaseCommands("kpack", inputs), { uid: 1000 }, (c) => runContainer(...), out.line);
 *
 * `after` runs once a phase has passed, before the next one starts: cnbkit applies the
 * extensions' build.Dockerfiles there after the detector (it is the extender, see
 * ../extensions/apply-build.ts).
 */
export async function runPhases(
  commands: PhaseCommand[],
  user: { uid: number },
  run: (command: PhaseCommand) => Promise<number>,
  header: (line: string) => void,
  after?: (phase: Phase) => Promise<void>,
): Promise<PhasesResult> {
  if (user.uid === 0) {
    throw new CnbError(
      "the builder's CNB user is root (CNB_USER_ID=0): the lifecycle's detector and builder refuse to run as root; build the builder with a non-root CNB user",
    );
  }
  for (const command of commands) {
    header(`===> ${PHASES[command.phase].header}`);
    const code = await run(command);
    if (code !== 0) return { code, failed: command.phase };
    await after?.(command.phase);
  }
  return { code: 0 };
}
