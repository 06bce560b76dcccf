/**
 * Which launch environment operations the BPE_* settings ask for, as Paketo's
 * environment-variables buildpack reads them:
 *
 * | setting               | operation on NAME at launch                     |
 * |-----------------------|-------------------------------------------------|
 * | `BPE_<NAME>`          | override (the same as `BPE_OVERRIDE_<NAME>`)    |
 * | `BPE_OVERRIDE_<NAME>` | override                                        |
 * | `BPE_DEFAULT_<NAME>`  | default: set only when NAME is unset or empty   |
 * | `BPE_APPEND_<NAME>`   | append to NAME                                  |
 * | `BPE_PREPEND_<NAME>`  | prepend to NAME                                 |
 * | `BPE_DELIM_<NAME>`    | the delimiter of NAME's append and prepend      |
 *
 * There is no default delimiter. The typed prefixes are tried first, so `BPE_APPEND_X`
 * appends to X and never overrides `APPEND_X`. Values are taken verbatim (a platform env file's
 * trailing newline included), as the lifecycle would.
 */
import { CnbError } from "@cnbkit/framework";

/** How a launch env file changes its variable (the CNB env file suffixes). */
export type EnvOp = "override" | "default" | "append" | "prepend";

/** The prefix every setting of this buildpack starts with. */
export const PREFIX = "BPE_";

const TYPED: readonly [string, EnvOp | "delim"][] = [
  ["APPEND_", "append"],
  ["DEFAULT_", "default"],
  ["DELIM_", "delim"],
  ["OVERRIDE_", "override"],
  ["PREPEND_", "prepend"],
];

/** One launch environment operation and the setting that asked for it. */
export interface LaunchOperation {
  name: string;
  op: EnvOp;
  value: string;
  /** For append and prepend: BPE_DELIM_<NAME>, when set. */
  delim?: string;
  /** The BPE_* setting, for the log. */
  from: string;
}

/** What {@link launchOperations} decided. */
export interface LaunchPlan {
  /** Sorted by variable name, then operation. */
  operations: LaunchOperation[];
  /** One line each: settings that change nothing (a delimiter with nothing to delimit). */
  warnings: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The operations that `settings` (names to values) ask for. Settings without the prefix
 * are ignored, and so are unset ones. Throws a one-line {@link CnbError} when a setting
 * names no valid variable or when two settings override the same one.
 *
 * @example
 * launchOperations({ BPE_GREETING: "hi", BPE_DELIM_PATH: ":", BPE_APPEND_PATH: "/x" }).operations
 * // [{ name: "GREETING", op: "override", value: "hi", from: "BPE_GREETING" },
 * //  { name: "PATH", op: "append", value: "/x", delim: ":", from: "BPE_APPEND_PATH" }]
 */
export function launchOperations(settings: Readonly<Record<string, string | undefined>>): LaunchPlan {
  const ops = new Map<string, LaunchOperation>(); // "<name>.<op>" → operation
  const delims = new Map<string, string>();
  const delimFrom = new Map<string, string>();
  for (const key of Object.keys(settings).sort()) {
    const value = settings[key];
    if (!key.startsWith(PREFIX) || value === undefined) continue;
    const rest = key.slice(PREFIX.length);
    const [prefix, op] = TYPED.find(([p]) => rest.startsWith(p)) ?? ["", "override" as const];
    const name = rest.slice(prefix.length);
    if (!NAME.test(name)) {
      throw new CnbError(
        `${key}: ${JSON.stringify(name)} is not an environment variable name (letters, digits and '_', not starting with a digit)`,
        { hint: `name the launch variable after the prefix, e.g. ${PREFIX}${prefix}GREETING=hello` },
      );
    }
    if (op === "delim") {
      delims.set(name, value);
      delimFrom.set(name, key);
      continue;
    }
    const id = `${name}.${op}`;
    const earlier = ops.get(id);
    if (earlier) {
      throw new CnbError(`${earlier.from} and ${key} both set ${name} at launch`, { hint: "keep one of them" });
    }
    ops.set(id, { name, op, value, from: key });
  }
  const operations = [...ops.values()].sort((a, b) => cmp(a.name, b.name) || cmp(a.op, b.op));
  const warnings: string[] = [];
  for (const [name, delim] of delims) {
    const joined = operations.filter((o) => o.name === name && (o.op === "append" || o.op === "prepend"));
    for (const o of joined) o.delim = delim;
    if (joined.length === 0) {
      warnings.push(
        `${delimFrom.get(name)} is ignored: there is no ${PREFIX}APPEND_${name} or ${PREFIX}PREPEND_${name} to delimit`,
      );
    }
  }
  return { operations, warnings };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
