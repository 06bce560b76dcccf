/**
 * Runs a Python tool (python, pip, uv, poetry, pipenv) with its output streamed into the
 * build log, and turns a failure into one line a user can act on, with a hint when the
 * output shows a known cause (a lockfile out of sync, a package that needs a compiler).
 */
import { spawn } from "node:child_process";
import { CnbError, type Logger } from "@cnbkit/framework";

/** Options for {@link runTool}. */
export interface RunOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Prefix for the error line: the file the user should look at. */
  where?: string;
  /** Drop the tool's output from the log unless it fails (version probes, compileall). */
  quiet?: boolean;
}

/** Known causes: what the output says, the error line, and the hint. */
const CAUSES: { when: RegExp; line: (m: RegExpExecArray) => string; hint: string }[] = [
  {
    when: /lockfile at `?uv\.lock`? needs to be updated|The lockfile .* needs to be updated/i,
    line: () => "uv.lock is out of sync with pyproject.toml",
    hint: 'Run "uv lock" and commit uv.lock.',
  },
  {
    when: /pyproject\.toml changed significantly since poetry\.lock was last generated|poetry\.lock.*not consistent/i,
    line: () => "poetry.lock is out of sync with pyproject.toml",
    hint: 'Run "poetry lock" and commit poetry.lock.',
  },
  {
    when: /Pipfile\.lock \(\w+\) out of date/i,
    line: () => "Pipfile.lock is out of date with Pipfile",
    hint: 'Run "pipenv lock" and commit Pipfile.lock.',
  },
  {
    when: /(?:Failed (?:building|to build) (?:wheel for )?([\w.-]+))[\s\S]*?(?:gcc|cc|x86_64-linux-gnu-gcc)['"]?(?::| failed)[^\n]*(?:No such file|not found|exit status)/i,
    line: (m) => `${m[1] ?? "a package"} has no wheel for this platform and the build image has no C compiler`,
    hint: "Pin a version that publishes a wheel for this Python and architecture, or use a build image with gcc and the headers it needs.",
  },
];

/** The most telling error line in a tool's output, if any. */
export function errorLine(output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  const re = /^(?:error|ERROR|×|\[ERROR\]):?\s*(.+)$|^(\w*Error: .+)$/;
  for (const l of lines) {
    const m = re.exec(l);
    if (m && (m[1] ?? m[2])) return (m[1] ?? m[2])!.trim();
  }
  return undefined;
}

/** One line (and a hint) for a failed run, from its output. */
export function explainFailure(command: readonly string[], status: string, output: string, where?: string): CnbError {
  const prefix = where ? `${where}: ` : "";
  for (const c of CAUSES) {
    const m = c.when.exec(output);
    if (m) return new CnbError(`${prefix}${c.line(m)} ("${command.join(" ")}" failed, ${status})`, { hint: c.hint });
  }
  const why = errorLine(output);
  return new CnbError(`${prefix}"${command.join(" ")}" failed (${status})${why ? `: ${why}` : ""}`);
}

/** Runs `command` (no shell); resolves with its combined output. */
export function runTool(command: readonly string[], options: RunOptions): Promise<string> {
  const [file, ...args] = command;
  if (!file) throw new Error("runTool: empty command");
  const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let pending = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      if (options.quiet) return;
      pending += text;
      const parts = pending.split(/\r?\n/);
      pending = parts.pop() ?? "";
      for (const p of parts) options.log.subprocess(p);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      const what =
        code === "ENOENT" ? `"${file}" was not found` : `"${command.join(" ")}" could not start: ${err.message}`;
      reject(new CnbError(what, { cause: err }));
    });
    child.on("close", (code, signal) => {
      if (pending) options.log.subprocess(pending);
      if (code === 0) return resolve(output);
      if (options.quiet) for (const l of output.split(/\r?\n/)) options.log.subprocess(l);
      reject(explainFailure(command, signal ? `killed by ${signal}` : `exit ${code}`, output, options.where));
    });
  });
}
