/**
 * Runs a host tool (debootstrap, chroot, umoci, ...) and reports its output line by line.
 *
 * Base images are made by real Debian tools, so their failures must reach the user as one
 * readable line: the tool, its exit code and the last lines it printed.
 */
import { spawn } from "node:child_process";
import { CnbError } from "@cnbkit/framework";

/** Options for {@link runCommand}. */
export interface RunCommandOptions {
  /** Called with every line the tool prints on stdout or stderr, as it arrives. */
  onLine?: (line: string) => void;
  /** Extra environment; merged over process.env. */
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Runs `cmd args...` to completion and resolves with its stdout.
 * Rejects with a {@link CnbError} naming the command and the tail of its output when it
 * cannot start or exits non-zero.
 *
 * @example
 * await runCommand("chroot", [dir, "groupadd", "--gid", "1000", "cnb"]);
 */
export function runCommand(cmd: string, args: string[], options: RunCommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const tail: string[] = [];
    const partial = { out: "", err: "" };
    const feed = (which: "out" | "err", chunk: Buffer) => {
      const text = partial[which] + chunk.toString("utf8");
      const lines = text.split("\n");
      partial[which] = lines.pop() ?? "";
      for (const line of lines) emit(line);
    };
    const emit = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      options.onLine?.(line);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      feed("out", chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => feed("err", chunk));
    child.on("error", (err: NodeJS.ErrnoException) => {
      const hint = err.code === "ENOENT" ? `install ${cmd} (Debian package of the same name)` : undefined;
      reject(new CnbError(`${cmd}: could not start (${err.message})`, { hint, cause: err }));
    });
    child.on("close", (code, signal) => {
      if (partial.out) emit(partial.out);
      if (partial.err) emit(partial.err);
      if (code === 0) {
        resolve(Buffer.concat(stdout).toString("utf8"));
        return;
      }
      const last = tail
        .filter((l) => l.trim() !== "")
        .slice(-3)
        .join(" | ");
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new CnbError(`${cmd} ${args.slice(0, 3).join(" ")}... ${how}: ${last}`));
    });
  });
}
