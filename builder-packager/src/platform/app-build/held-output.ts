/**
 * A build's output held back while another build's is shown: the platforms of one command
 * build at the same time (multi-platform.ts), and each platform's lines are shown in one piece.
 */
import type { BuildOptions } from "./options.js";

/**
 * One platform's output while another's is shown: kept, then shown in one piece (and live
 * after that) once {@link release}d, in the order the platforms were started.
 */
export class HeldOutput {
  private lines: [string, "stdout" | "stderr"][] | undefined = [];
  constructor(private readonly show: BuildOptions["onOutput"]) {}
  /** The build's output callback. */
  readonly take = (line: string, stream: "stdout" | "stderr"): void => {
    if (this.lines) this.lines.push([line, stream]);
    else this.show?.(line, stream);
  };
  /** Shows what was kept; later lines go straight through. */
  release(): void {
    const lines = this.lines;
    if (!lines) return;
    this.lines = undefined;
    for (const [line, stream] of lines) this.show?.(line, stream);
  }
}
