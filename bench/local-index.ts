/**
 * A PEP 503 "simple" index on 127.0.0.1 holding the wheels a requirements.txt pins, for
 * bench rows with no network in them: pip downloads 45 packages one after another, and the
 * proxy's speed to PyPI drifts between a floor install and the build it is set against. The
 * build's container shares the host's network, so the same URL serves both (PIP_INDEX_URL
 * in the platform env). Served by `python3 -m http.server` (the floor's pip runs with
 * spawnSync, which would block a server in this process), stopped by its PID.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The running index. */
export interface LocalIndex {
  /** The pip settings that install from it: PIP_INDEX_URL and PIP_TRUSTED_HOST. */
  env: Record<string, string>;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** PEP 503 project name of a wheel file (`Django-5.2.1-py3-none-any.whl` → `django`). */
function projectOf(wheel: string): string {
  return wheel
    .split("-")[0]!
    .toLowerCase()
    .replace(/[-_.]+/g, "-");
}

/**
 * Downloads the wheels `requirements.txt` in `appDir` pins with `pip` run for `python` (the
 * CPython the floor and the build install for: its markers, such as `python_full_version <
 * '3.11.3'`, decide what is pinned), writes the index under `root`, and serves it.
 */
export async function localIndex(
  root: string,
  pip: { bin: string; python: string },
  appDir: string,
  env: NodeJS.ProcessEnv,
): Promise<LocalIndex> {
  const files = join(root, "files");
  const args = [
    "--python",
    pip.python,
    "download",
    "--quiet",
    "--only-binary=:all:",
    "-d",
    files,
    "-r",
    "requirements.txt",
  ];
  const got = spawnSync(pip.bin, args, {
    cwd: appDir,
    encoding: "utf8",
    env,
  });
  if (got.status !== 0) throw new Error(`pip download for the local index failed: ${got.stderr}${got.stdout}`);
  const byProject = new Map<string, string[]>();
  for (const wheel of await readdir(files)) {
    const list = byProject.get(projectOf(wheel)) ?? [];
    list.push(wheel);
    byProject.set(projectOf(wheel), list);
  }
  for (const [project, wheels] of byProject) {
    const links = await Promise.all(
      wheels.map(async (w) => {
        const sha = createHash("sha256")
          .update(await readFile(join(files, w)))
          .digest("hex");
        return `<a href="../../files/${w}#sha256=${sha}">${w}</a><br>`;
      }),
    );
    await mkdir(join(root, "simple", project), { recursive: true });
    await writeFile(
      join(root, "simple", project, "index.html"),
      `<!DOCTYPE html><html><body>\n${links.join("\n")}\n</body></html>\n`,
    );
  }
  const server = spawn("python3", ["-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", root, "0"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    server.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = / port (\d+) /.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`the local index's server exited (${code}): ${out}`)));
  });
  return {
    env: { PIP_INDEX_URL: `http://127.0.0.1:${port}/simple/`, PIP_TRUSTED_HOST: "127.0.0.1" },
    stop: () => stopProcess(server),
  };
}

/** Ends `child` by its PID and waits for it to go. */
function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
