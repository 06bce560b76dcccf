/**
 * Reads the creator's output as it streams: which layers the exporter reused, the detected
 * group, the phase, the failing buildpack (through {@link BuildFailureTracker}), and the last
 * lines for an exit message. It also decides what the user sees of it: the lifecycle's view
 * of its layout repository is internal, so at any level but debug the exporter's
 * `*** Images (/layout-repo/...@sha256:...)` block and `Saving /layout-repo/...` line are
 * dropped (that digest is not the one written: cnbkit re-encodes the manifest and prints the
 * final digest once), and the other `/layout-repo/<name>` paths read as the references the
 * user gave (the output and the run image).
 */
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BuildFailureTracker, type GroupBuildpack } from "./lifecycle-exit.js";

/** Where the lifecycle sees the layout repository inside the container. */
export const LAYOUT_REPO_MOUNT = "/layout-repo";

/** Options of {@link LifecycleOutput}. */
export interface LifecycleOutputOptions {
  /** The builder's root filesystem, to read each group buildpack's `[buildpack].name`. */
  builderRootfs: string;
  /** Layout-repo paths (relative to {@link LAYOUT_REPO_MOUNT}) and the reference each stands for. */
  names: { path: string; ref: string }[];
  /** Show the lifecycle's lines as they are (debug): nothing dropped or renamed. */
  raw: boolean;
  /** Prints one line the user sees. */
  show: (line: string, stream: "stdout" | "stderr") => void;
  /** The clock phases are timed with, in ms (default `performance.now`). */
  now?: () => number;
}

/** One lifecycle phase and how long it ran. */
export interface PhaseTime {
  /** The phase as a verb: `analyze`, `detect`, `restore`, `extend`, `build`, `export`. */
  phase: string;
  ms: number;
}

/** The creator's phase headers (`===> DETECTING`) as the verbs users know from pack. */
const PHASE_VERBS: Record<string, string> = {
  ANALYZING: "analyze",
  DETECTING: "detect",
  RESTORING: "restore",
  EXTENDING: "extend",
  BUILDING: "build",
  EXPORTING: "export",
};

/** How many of the lifecycle's last lines a failed run keeps to explain itself. */
const LAST_LINES = 200;

/**
 * Follows one creator run's output.
 *
 * @example
 * const out = new LifecycleOutput({ builderRootfs, names: [{ path: "cnbkit.local/app/latest", ref: "oci:out/app" }], raw: false, show });
 * out.line("Saving /layout-repo/cnbkit.local/app/latest...", "stdout"); // dropped
 * out.line("Reusing layer 'cnbkit/nodejs:node'", "stdout"); // shown; out.reused is ["cnbkit/nodejs:node"]
 */
export class LifecycleOutput {
  /** Layer names the exporter reused from the previous image ("Reusing layer '...'"). */
  readonly reused: string[] = [];
  /**
   * The last {@link LAST_LINES} lines as the lifecycle printed them, for {@link exitMessage}:
   * enough to hold the detector's results for every group of a builder (the reference one
   * has 4 groups of up to 6 buildpacks, plus each erroring buildpack's own output).
   */
  readonly lastLines: string[] = [];
  /** The detected group as `id@version` entries. */
  readonly group: string[] = [];
  /** The phase running now (`ANALYZING`, `DETECTING`, ...), "" before the first header. */
  phase = "";
  private building: BuildFailureTracker | undefined;
  /** True while the lines under `*** Images (...)` (indented image names) follow. */
  private inImages = false;
  /** Each header seen and when; {@link end} closes the last one. */
  private readonly starts: { phase: string; at: number }[] = [];
  private endedAt: number | undefined;

  constructor(private readonly opts: LifecycleOutputOptions) {}

  /** One line of the creator's `stream`. */
  line(line: string, stream: "stdout" | "stderr"): void {
    // The lifecycle colours its phase headers.
    const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
    const m = /Reusing layer '([^']+)'/.exec(line);
    if (m?.[1]) this.reused.push(m[1]);
    this.lastLines.push(line);
    if (this.lastLines.length > LAST_LINES) this.lastLines.shift();
    const shown = this.opts.raw ? line : this.userLine(line, plain);
    const show = () => {
      if (shown !== undefined) this.opts.show(shown, stream);
    };
    const header = /^===> (\w+)/.exec(plain);
    if (header?.[1]) {
      this.building?.flush();
      this.phase = header[1];
      this.starts.push({ phase: header[1], at: this.now() });
      if (this.phase === "BUILDING") {
        this.building = new BuildFailureTracker(groupBuildpacks(this.opts.builderRootfs, this.group));
      }
    } else if (this.phase === "DETECTING" && /^[^\s:]+ +\S+$/.test(plain)) {
      // The group's buildpacks, ids padded to one column: "cnbkit/nodejs          0.1.0".
      this.group.push(plain.replace(/ +/, "@"));
    } else if (this.phase === "BUILDING" && this.building) {
      // It may hold the failing buildpack's error line back for the final message.
      this.building.line(plain, stream, show);
      return;
    }
    show();
  }

  /**
   * The failing buildpack and its own error line, for a failed build; the held lines are
   * dropped (the final message says them). Undefined when no buildpack header was seen.
   */
  failure(): ReturnType<BuildFailureTracker["failure"]> {
    return this.building?.failure();
  }

  /** The creator has exited: the last phase ends now. */
  end(): void {
    this.endedAt ??= this.now();
  }

  /**
   * Each phase's time, from its header to the next one (the last to {@link end}), in the
   * order the creator ran them. The creator prints no end of a phase, so the pause between
   * two phases counts to the earlier one.
   */
  phaseTimes(): PhaseTime[] {
    const end = this.endedAt ?? this.now();
    return this.starts.map(({ phase, at }, i) => ({
      phase: PHASE_VERBS[phase] ?? phase.toLowerCase(),
      ms: (this.starts[i + 1]?.at ?? end) - at,
    }));
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  /** Shows what the failure tracker holds back: the build went on or ended otherwise. */
  flush(): void {
    this.building?.flush();
  }

  /** `line` as the user sees it, or undefined to drop it. */
  private userLine(line: string, plain: string): string | undefined {
    if (this.inImages) {
      if (/^\s+\S/.test(plain)) return undefined;
      this.inImages = false;
    }
    if (/^\*\*\* Images \(/.test(plain)) {
      this.inImages = true;
      return undefined;
    }
    if (plain.startsWith(`Saving ${LAYOUT_REPO_MOUNT}/`)) return undefined;
    if (!line.includes(`${LAYOUT_REPO_MOUNT}/`)) return line;
    let out = line;
    for (const { path, ref } of this.opts.names) out = out.replaceAll(`${LAYOUT_REPO_MOUNT}/${path}`, ref);
    return out;
  }
}

/**
 * The detected group (`id@version` entries) with each buildpack's `[buildpack].name` from the
 * builder's /cnb/buildpacks, so the build output's headers can be matched to ids.
 */
function groupBuildpacks(rootfs: string, group: string[]): GroupBuildpack[] {
  return group.map((entry) => {
    const at = entry.lastIndexOf("@");
    const id = entry.slice(0, at);
    const version = entry.slice(at + 1);
    try {
      const file = join(rootfs, "cnb", "buildpacks", id.replaceAll("/", "_"), version, "buildpack.toml");
      const name = (parseToml(readFileSync(file, "utf8"), file).buildpack as TomlTable | undefined)?.name;
      return typeof name === "string" ? { id, version, name } : { id, version };
    } catch {
      return { id, version };
    }
  });
}
