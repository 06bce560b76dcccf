/**
 * exec.d: programs the launcher runs before the app starts, each printing TOML
 * (`NAME = "value"`) on file descriptor 3 to set launch-time variables (Buildpack API
 * "Exec.d"). Use them for values only known at run time, such as memory limits.
 *
 * A cnbkit buildpack can be its own exec.d program: copy the buildpack binary into the
 * layer with {@link ExecDPrograms.addSelf} under a name registered in
 * `buildpack({ execD: { name: fn } })`; when the launcher runs it, the entry point sees that
 * name as argv[0] and calls `fn`, whose returned env is written to fd 3.
 */
import { chmod, copyFile, mkdir, realpath, rename, rm, symlink, writeFile } from "../fs/promised.js";
import { cp as cpCallback, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { CnbError } from "../errors/index.js";
import type { Logger } from "../log/index.js";
import { BUNDLE_CHUNKS_DIR, EXEC_D_RUNTIME_DIR } from "../bundle/launched-bundle.js";
import { targetNode } from "./target-node.js";
import type { Environment } from "./platform.js";
import { validateEnvName, validateProcessType } from "../cnb-files/index.js";
import { stringifyToml } from "../cnb-files/index.js";

/** What an exec.d handler receives. */
export interface ExecDContext {
  /** The launch environment so far (buildpack env applied, earlier exec.d outputs included). */
  env: Environment;
  log: Logger;
}

/** An exec.d handler: returns the variables to set for the process about to launch. */
export type ExecDHandler = (ctx: ExecDContext) => Record<string, string> | Promise<Record<string, string>>;

/**
 * Writes exec.d output: `env` as TOML on file descriptor 3 (the spec's channel), after
 * checking every name. Throws a CnbError when fd 3 is not open (not run by the launcher).
 *
 * @example
 * execDOutput({ JAVA_TOOL_OPTIONS: "-Xmx512m" });
 */
export async function execDOutput(env: Record<string, string>, fd = 3): Promise<void> {
  const table: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    validateEnvName(name, "exec.d output");
    if (typeof value !== "string") throw new CnbError(`exec.d output: ${name} must be a string, not ${typeof value}`);
    table[name] = value;
  }
  const { writeSync } = await import("node:fs");
  try {
    writeSync(fd, stringifyToml(table));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EBADF") {
      throw new CnbError(`exec.d: file descriptor ${fd} is not open`, {
        hint: "exec.d programs are run by the CNB launcher, which opens fd 3 for their output",
        cause: err,
      });
    }
    throw err;
  }
}

/** Options for {@link ExecDPrograms.add}. */
export interface ExecDAddOptions {
  /** Only for this process type (`exec.d/<process>/`); all processes when omitted. */
  process?: string;
}

/** A layer's exec.d directory: `layer.execD`. */
export class ExecDPrograms {
  /**
   * @param layerPath the layer directory
   * @param self the path of the running buildpack program (see {@link selfProgram})
   * @param writable throws when the layer's contents must not change
   */
  constructor(
    private readonly layerPath: string,
    private readonly self: () => Promise<string>,
    private readonly writable: () => void = () => {},
  ) {}

  /**
   * Copies `program` into `<layer>/exec.d/<name>` (or `exec.d/<process>/<name>`), executable.
   * A copy, not a link: the buildpack directory is not in the app image.
   */
  async add(name: string, program: string, options: ExecDAddOptions = {}): Promise<string> {
    return this.place(name, options, async (tmp) => {
      try {
        await copyFile(program, tmp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
          throw new CnbError(`exec.d: program ${program} not found`, { cause: err });
        }
        throw err;
      }
    });
  }

  /**
   * Writes `script` (a whole program text, e.g. a POSIX sh script starting with `#!/bin/sh`)
   * as `<layer>/exec.d/<name>` (or `exec.d/<process>/<name>`), executable. A script keeps
   * the app image small where copying the buildpack binary ({@link addSelf}) would add it
   * whole.
   */
  async addScript(name: string, script: string, options: ExecDAddOptions = {}): Promise<string> {
    return this.place(name, options, (tmp) => writeFile(tmp, script));
  }

  /** Validates the name, then lets `write` fill a temp file that becomes `exec.d/[process/]name`, mode 0755. */
  private async place(name: string, options: ExecDAddOptions, write: (tmp: string) => Promise<void>): Promise<string> {
    this.writable();
    if (!/^[A-Za-z0-9._-]+$/.test(name)) {
      throw new CnbError(`exec.d program name "${name}" may only contain letters, digits, '.', '_' and '-'`);
    }
    const dir =
      options.process === undefined
        ? join(this.layerPath, "exec.d")
        : join(this.layerPath, "exec.d", validateProcessType(options.process, "exec.d process type"));
    await mkdir(dir, { recursive: true });
    const dest = join(dir, name);
    const tmp = `${dest}.tmp-${process.pid}`;
    try {
      await write(tmp);
      await chmod(tmp, 0o755);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return dest;
  }

  /**
   * Copies the running buildpack program in as `name`, which must be a key of
   * `buildpack({ execD })`: at launch, the entry point dispatches on that name.
   */
  async addSelf(name: string, options: ExecDAddOptions = {}): Promise<string> {
    const self = await this.self();
    if (await isSea()) return this.add(name, self, options);
    // A script run by a Node (the shared runtime's, in /cnb/buildpacks, which the app image
    // does not have): the layer gets that Node and the script, linked under this name (the
    // entry point dispatches on it), and exec.d a launcher that runs them.
    this.writable();
    const own = join(this.layerPath, EXEC_D_RUNTIME_DIR);
    await mkdir(own, { recursive: true });
    await copyFile(targetNode(), join(own, "node"));
    await chmod(join(own, "node"), 0o755);
    const bundle = await realpath(self);
    await copyFile(bundle, join(own, EXEC_D_SCRIPT));
    // The shared form's loader reads its chunks from beside it.
    const chunks = join(dirname(bundle), BUNDLE_CHUNKS_DIR);
    await rm(join(own, BUNDLE_CHUNKS_DIR), { recursive: true, force: true });
    if (existsSync(chunks)) await copyDir(chunks, join(own, BUNDLE_CHUNKS_DIR));
    await rm(join(own, name), { force: true });
    await symlink(EXEC_D_SCRIPT, join(own, name));
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    // The app's NODE_OPTIONS (a --require of an app file, a heap cap) is not for this program.
    const script = `#!/bin/sh\nunset NODE_OPTIONS\nexec ${q(join(own, "node"))} ${q(join(own, name))} "$@"\n`;
    return this.addScript(name, script, options);
  }
}

/** `cp -r`, without loading fs/promises. */
const copyDir = (from: string, to: string): Promise<void> =>
  new Promise((resolve, reject) => cpCallback(from, to, { recursive: true }, (err) => (err ? reject(err) : resolve())));

/** The script's name beside the Node that `addSelf` copies; each exec.d name links to it. */
const EXEC_D_SCRIPT = "main.cjs";

/** True inside a Node single executable application. */
async function isSea(): Promise<boolean> {
  try {
    const sea = await import("node:sea");
    return sea.isSea();
  } catch {
    return false; // node:sea is missing on older Node versions: not a SEA.
  }
}

/**
 * The running buildpack program: the executable itself inside a Node single executable
 * application, else the script (process.argv[1]; `lib/build` on the shared runtime).
 */
export async function selfProgram(): Promise<string> {
  if (await isSea()) return process.execPath;
  const script = process.argv[1];
  if (!script) throw new CnbError("exec.d: cannot tell which program is running (no process.argv[1])");
  return script;
}
