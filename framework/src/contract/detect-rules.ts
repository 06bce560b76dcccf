/**
 * Declarative detect: the common cases (a file exists, one of several files exists, an env
 * var is set) as data, so that the packager can compile them to a POSIX sh `bin/detect`
 * that never starts Node. Anything the rules cannot say falls back to TypeScript ("code").
 *
 * The value {@link detectRules} returns is an ordinary detect function (the in-process
 * harness and `buildpack()` call it as any other) that also carries its rules, and
 * {@link detectRulesJson} is what the packager reads: the rules with every pass plan
 * already written as build plan TOML by this framework, so the sh script writes the very
 * bytes the TypeScript detect would.
 *
 * Semantics, shared by both paths:
 * - `file`, `anyFile`, `allFiles`: the path exists, as `ctx.app.exists` says (a file or a
 *   directory, symlinks followed, a dangling symlink does not exist). Paths are relative to
 *   the app dir, "/"-separated, without "." or ".." segments.
 * - `suffix`: some entry directly in the app dir has a name ending in it, as `readdir` lists
 *   entries: files, dirs, dotfiles and dangling symlinks alike (for "an executable jar may
 *   be here" checks; what the entry holds is for `code` to judge).
 * - `env`: the value {@link readSettings} gives, i.e. `<platform>/env/NAME` when that file
 *   exists, else the process env. Without `equals` the condition holds when the value is
 *   non-empty; with `equals` when it is exactly that string (a platform env file is read
 *   verbatim, trailing newline included).
 * - `envPrefix`: some setting whose name starts with the prefix has a non-empty value, by
 *   the same reading as `env` (for buildpacks driven by a family of variables, BPE_*).
 * - `processEnv`: the process env alone (`ctx.env`, not `<platform>/env`) has a non-empty
 *   value for the name: for buildpacks that read their settings from `ctx.env` and hand any
 *   set value to `code` to parse (ca-certificates' BP_ENABLE_RUNTIME_CERT_BINDING).
 * - `bindingType`: some service binding has that type, as `ctx.platform.bindings.byType`
 *   says (the `type` file trimmed, compared case-insensitively; bindings under
 *   SERVICE_BINDING_ROOT, else `<platform>/bindings`). Types are ASCII letters, digits,
 *   `.`, `_` and `-`, so the sh script can compare them without a subprocess.
 * - Rules are tried in order; the first whose `when` holds decides, else `otherwise`.
 */
import { readdir } from "../fs/promised.js";
import type { BuildPlan } from "../cnb-files/build-plan-types.js";
import { buildPlanText } from "../cnb-files/build-plan-text.js";
import { CnbError } from "../errors/index.js";
import { readSettings } from "../environment/tool-env.js";
import type { DetectContext, DetectResult, PlanInput } from "./contract.js";

/** A condition on the app dir or the settings. */
export type DetectCondition =
  | { file: string }
  | { anyFile: readonly string[] }
  | { allFiles: readonly string[] }
  | { suffix: string }
  | { env: string; equals?: string }
  | { envPrefix: string }
  | { processEnv: string }
  | { bindingType: string }
  | { not: DetectCondition };

/** What a rule decides: pass with a plan (and `[[or]]` alternatives), fail, or run `code`. */
export type DetectOutcome = { pass: PlanInput; or?: readonly PlanInput[] } | { fail: string } | "code";

/** One rule: when `when` holds, `outcome` decides. */
export interface DetectRule {
  /** The condition. */
  when: DetectCondition;
  /** The decision when it holds. */
  outcome: DetectOutcome;
}

/** The declaration {@link detectRules} takes. */
export interface DetectRulesDefinition<M> {
  /** Tried in order; the first that holds decides. */
  rules: readonly DetectRule[];
  /** The outcome when no rule holds. */
  otherwise: DetectOutcome;
  /** The TypeScript detect for "code" outcomes; required when some outcome is "code". */
  code?: (ctx: DetectContext<M>) => DetectResult | Promise<DetectResult>;
}

/** A detect function that carries its rules (see {@link detectRules}). */
export interface RuleDetect<M> {
  /** Evaluates the rules against `ctx` (running `code` where they say so). */
  (ctx: DetectContext<M>): Promise<DetectResult>;
  /** The validated declaration, for `buildpack()` to describe to the packager. */
  readonly rules: Readonly<DetectRulesDefinition<M>>;
}

/** An outcome as the packager sees it: pass plans are build plan TOML text. */
export type DetectOutcomeJson = { kind: "pass"; plan: string } | { kind: "fail"; reason: string } | { kind: "code" };

/** The rules of a bundle as `CNBKIT_DESCRIBE=detect-rules` prints them. */
export interface DetectRulesJson {
  /** The version of this shape; the packager refuses any other. */
  format: "cnbkit.detect-rules/1";
  /** The rules in order, conditions as declared. */
  rules: { when: DetectCondition; outcome: DetectOutcomeJson }[];
  /** The outcome when no rule holds. */
  otherwise: DetectOutcomeJson;
}

/**
 * Declares detect as rules. Throws a {@link CnbError} naming the bad rule when a path, an
 * env name or an outcome is invalid, or when "code" is used without `code`.
 *
 * @example
 * export const detect = detectRules({
 *   rules: [{ when: { file: "Procfile" }, outcome: { pass: {} } }],
 *   otherwise: { fail: "no Procfile" },
 * });
 */
export function detectRules<M = Record<string, unknown>>(definition: DetectRulesDefinition<M>): RuleDetect<M> {
  const needsCode = [...definition.rules.map((r) => r.outcome), definition.otherwise].includes("code");
  definition.rules.forEach((r, i) => {
    checkCondition(r.when, `detect rule ${i + 1}`);
    checkOutcome(r.outcome, `detect rule ${i + 1}`);
  });
  checkOutcome(definition.otherwise, "detect rules: otherwise");
  if (needsCode && typeof definition.code !== "function") {
    throw new CnbError('detect rules: an outcome is "code" but no code function is given', {
      hint: "pass code: async (ctx) => ... with the TypeScript detect",
    });
  }
  const rules = Object.freeze({ ...definition, rules: Object.freeze([...definition.rules]) });
  const run = async (ctx: DetectContext<M>): Promise<DetectResult> => {
    const outcome = await decide(rules, ctx);
    if (outcome === "code") return rules.code!(ctx);
    if ("fail" in outcome) return ctx.fail(outcome.fail);
    return ctx.pass(outcome.pass, ...(outcome.or ?? []));
  };
  return Object.assign(run, { rules });
}

/** True when `detect` was made by {@link detectRules}. */
export function isRuleDetect<M>(detect: unknown): detect is RuleDetect<M> {
  return typeof detect === "function" && typeof (detect as { rules?: unknown }).rules === "object";
}

/** The packager's view of the rules: conditions as declared, pass plans as TOML text. */
export function detectRulesJson<M>(rules: Readonly<DetectRulesDefinition<M>>): DetectRulesJson {
  return {
    format: "cnbkit.detect-rules/1",
    rules: rules.rules.map((r) => ({ when: r.when, outcome: outcomeJson(r.outcome) })),
    otherwise: outcomeJson(rules.otherwise),
  };
}

function outcomeJson(outcome: DetectOutcome): DetectOutcomeJson {
  if (outcome === "code") return { kind: "code" };
  if ("fail" in outcome) return { kind: "fail", reason: outcome.fail };
  const plan = buildPlanText(passPlans(outcome));
  // checkOutcome already refused such a plan when the rules were declared.
  if (plan === undefined) throw new CnbError("detect rules: a plan cannot be written");
  return { kind: "pass", plan };
}

/** A passing outcome's plan alternatives, omitted lists empty. */
function passPlans(outcome: { pass: PlanInput; or?: readonly PlanInput[] }): BuildPlan[] {
  return [outcome.pass, ...(outcome.or ?? [])].map((p) => ({ provides: p.provides ?? [], requires: p.requires ?? [] }));
}

async function decide<M>(rules: DetectRulesDefinition<M>, ctx: DetectContext<M>): Promise<DetectOutcome> {
  const settings = readSettings(ctx);
  for (const rule of rules.rules) if (await holds(rule.when, ctx, settings)) return rule.outcome;
  return rules.otherwise;
}

async function holds<M>(
  c: DetectCondition,
  ctx: DetectContext<M>,
  settings: Readonly<Record<string, string | undefined>>,
): Promise<boolean> {
  if ("not" in c) return !(await holds(c.not, ctx, settings));
  if ("env" in c) return c.equals === undefined ? (settings[c.env] ?? "") !== "" : settings[c.env] === c.equals;
  if ("envPrefix" in c) return Object.entries(settings).some(([k, v]) => k.startsWith(c.envPrefix) && (v ?? "") !== "");
  if ("processEnv" in c) return (ctx.env[c.processEnv] ?? "") !== "";
  if ("bindingType" in c) return ctx.platform.bindings.byType(c.bindingType).length > 0;
  if ("file" in c) return ctx.app.exists(c.file);
  if ("suffix" in c) {
    const names = await readdir(ctx.app.path).catch(() => [] as string[]);
    return names.some((n) => n.endsWith(c.suffix));
  }
  if ("anyFile" in c) {
    for (const f of c.anyFile) if (await ctx.app.exists(f)) return true;
    return false;
  }
  for (const f of c.allFiles) if (!(await ctx.app.exists(f))) return false;
  return true;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BINDING_TYPE = /^[A-Za-z0-9._-]+$/;

/** Checks a condition at declaration time, so a bad rule fails where it is written. */
function checkCondition(c: DetectCondition, where: string): void {
  if (typeof c !== "object" || c === null || Object.keys(c).length === 0) {
    throw new CnbError(
      `${where}: "when" must be one of file, anyFile, allFiles, suffix, env, envPrefix, not, processEnv, bindingType`,
    );
  }
  if ("not" in c) {
    checkCondition(c.not, `${where}: not`);
    return;
  }
  if ("env" in c) {
    if (typeof c.env !== "string" || !ENV_NAME.test(c.env)) {
      throw new CnbError(`${where}: env ${JSON.stringify(c.env)} is not a variable name (letters, digits, _)`);
    }
    if (c.equals !== undefined && (typeof c.equals !== "string" || c.equals.includes("\0"))) {
      throw new CnbError(`${where}: env ${c.env} equals must be a string without NUL`);
    }
    return;
  }
  if ("envPrefix" in c) {
    if (typeof c.envPrefix !== "string" || !ENV_NAME.test(c.envPrefix)) {
      throw new CnbError(`${where}: envPrefix ${JSON.stringify(c.envPrefix)} is not the start of a variable name`);
    }
    return;
  }
  if ("processEnv" in c) {
    if (typeof c.processEnv !== "string" || !ENV_NAME.test(c.processEnv)) {
      throw new CnbError(
        `${where}: processEnv ${JSON.stringify(c.processEnv)} is not a variable name (letters, digits, _)`,
      );
    }
    return;
  }
  if ("bindingType" in c) {
    if (typeof c.bindingType !== "string" || !BINDING_TYPE.test(c.bindingType)) {
      throw new CnbError(
        `${where}: bindingType ${JSON.stringify(c.bindingType)} must be ASCII letters, digits, ".", "_" or "-"`,
      );
    }
    return;
  }
  if ("suffix" in c) {
    if (typeof c.suffix !== "string" || /^\.*$|[/\0]/.test(c.suffix)) {
      throw new CnbError(
        `${where}: suffix ${JSON.stringify(c.suffix)} must be a name ending without "/" (not only dots)`,
      );
    }
    return;
  }
  const paths = "file" in c ? [c.file] : "anyFile" in c ? c.anyFile : "allFiles" in c ? c.allFiles : undefined;
  if (!Array.isArray(paths) || paths.length === 0) {
    throw new CnbError(
      `${where}: "when" must be one of file, anyFile, allFiles, suffix, env, envPrefix, not, processEnv, bindingType (with a path list)`,
    );
  }
  for (const p of paths) checkPath(p, where);
}

function checkPath(p: unknown, where: string): void {
  const bad =
    typeof p !== "string" ||
    p === "" ||
    p.startsWith("/") ||
    p.includes("\0") ||
    p.split("/").some((s) => s === "" || s === "." || s === "..");
  if (bad) {
    throw new CnbError(
      `${where}: path ${JSON.stringify(p)} must be relative to the app dir, "/"-separated, without ".", ".." or empty segments`,
    );
  }
}

function checkOutcome(o: DetectOutcome, where: string): void {
  if (o === "code") return;
  if (typeof o === "object" && o !== null && "fail" in o) {
    if (typeof o.fail !== "string" || o.fail === "" || /[\n\0]/.test(o.fail)) {
      throw new CnbError(`${where}: fail reason must be one non-empty line`);
    }
    return;
  }
  if (typeof o !== "object" || o === null || !("pass" in o) || typeof o.pass !== "object" || o.pass === null) {
    throw new CnbError(`${where}: "outcome" must be { pass: plan }, { fail: reason } or "code"`);
  }
  if (buildPlanText(passPlans(o)) === undefined) {
    // The plan is baked into a sh bin/detect as text, so it must be plain data.
    throw new CnbError(
      `${where}: the plan must have non-empty string names and metadata of plain data (strings, finite numbers, booleans, arrays, tables)`,
    );
  }
}
