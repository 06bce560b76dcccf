/**
 * The command that starts the app, inferred the way Google's Node.js buildpack does it.
 *
 * A `start` script wins (`npm start`, `yarn start`, `pnpm start`); with none, a production
 * start script (`start:prod`, then `start:production`, as NestJS's starters have: `npm run
 * start:prod`); then the package.json `main` field; then the first of server.js, index.js,
 * app.js (`node <file>`); then the server a framework's build wrote (framework-start.ts), so
 * that a file the app names itself is never passed over; then a `serve` script.
 */
import { type FrameworkInputs, frameworkStart } from "./framework-start.js";
import type { PackageManagerName } from "./package-manager.js";

/** The files tried, in order, when there is no start script and no `main`. */
export const START_FILES = ["server.js", "index.js", "app.js"] as const;

/** An inferred start command and why it was chosen. */
export interface StartCommand {
  command: string[];
  /** E.g. `package.json scripts.start` or `server.js`. */
  source: string;
  /** Set when the command runs a framework's build output: what that output is. */
  framework?: string;
  /** Launch env defaults the command needs (framework-start.ts). */
  env?: Record<string, string>;
  /** Why this source, when it is not the obvious one (`package.json has no "start" script`). */
  note?: string;
}

/** A script run by the package manager in place of a missing `start`, with the line that says so. */
function scriptInstead(pm: PackageManagerName, script: string): StartCommand {
  return {
    command: [pm, "run", script],
    source: `package.json scripts.${script}`,
    note: 'package.json has no "start" script',
  };
}

/**
 * Infers the start command; undefined when nothing says how to start the app.
 * `exists` answers whether a file (relative to the project) exists; `read` returns a text
 * file of the project (for framework config), undefined when absent.
 *
 * @example
 * inferStartCommand({ scripts: { start: "node app.js" } }, "pnpm", () => false)
 * // { command: ["pnpm", "start"], source: "package.json scripts.start" }
 */
export function inferStartCommand(
  pkg: Record<string, unknown> | undefined,
  pm: PackageManagerName,
  exists: (file: string) => boolean,
  read: FrameworkInputs["read"] = () => undefined,
): StartCommand | undefined {
  const scripts =
    pkg && typeof pkg.scripts === "object" && pkg.scripts !== null ? (pkg.scripts as Record<string, unknown>) : {};
  if (typeof scripts.start === "string" && scripts.start.trim()) {
    return { command: [pm, "start"], source: "package.json scripts.start" };
  }
  const production = ["start:prod", "start:production"].find(
    (s) => typeof scripts[s] === "string" && (scripts[s] as string).trim(),
  );
  if (production) return scriptInstead(pm, production);
  const main = pkg?.main;
  if (typeof main === "string" && main.trim()) {
    const file = main.trim().replace(/^\.\//, "");
    const candidates = [file, `${file}.js`, `${file}/index.js`];
    const found = candidates.find((c) => exists(c));
    if (found) return { command: ["node", found], source: "package.json main" };
  }
  for (const f of START_FILES) if (exists(f)) return { command: ["node", f], source: f };
  const framework = frameworkStart({ pkg: pkg ?? {}, exists, read });
  if (!framework) {
    return typeof scripts.serve === "string" && scripts.serve.trim() ? scriptInstead(pm, "serve") : undefined;
  }
  const file = framework.command.find((a) => a.includes("/")) ?? framework.command.join(" ");
  return {
    command: framework.command,
    source: file,
    framework: framework.framework,
    ...(framework.env ? { env: framework.env } : {}),
  };
}
