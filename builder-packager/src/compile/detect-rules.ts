/**
 * Learning a bundle's declarative detect rules without importing TypeScript: the bundle is
 * run once with `CNBKIT_DESCRIBE=detect-rules`, and `buildpack()` prints its rules as JSON
 * (`null` for a plain detect function). What comes back is checked here, at the edge,
 * before {@link detectScript} turns it into sh.
 */
import { spawn } from "node:child_process";
import { CnbError } from "@cnbkit/framework";
import type { DetectCondition, DetectOutcomeJson, DetectRulesJson } from "@cnbkit/framework/packaging";

export type { DetectRulesJson } from "@cnbkit/framework/packaging";

/**
 * Runs `node bundleFile` with a clean env (only CNBKIT_DESCRIBE) and returns the bundle's
 * detect rules, or undefined when its detect is a plain function.
 */
export async function describeDetectRules(bundleFile: string, node: string): Promise<DetectRulesJson | undefined> {
  const { code, stdout, stderr } = await run(node, [bundleFile], { CNBKIT_DESCRIBE: "detect-rules" });
  if (code !== 0) {
    const last = stderr.trim().split("\n").at(-1) ?? "";
    throw new CnbError(`${bundleFile}: describing detect rules failed (exit ${code})${last ? `: ${last}` : ""}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new CnbError(`${bundleFile}: CNBKIT_DESCRIBE=detect-rules printed no JSON (is it a cnbkit buildpack?)`);
  }
  if (json === null) return undefined;
  return checkRulesJson(json, bundleFile);
}

function run(cmd: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (err) => reject(new CnbError(`${cmd}: cannot run: ${err.message}`, { cause: err })));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Checks the JSON shape `buildpack()` prints; throws one line naming the bad part. */
export function checkRulesJson(json: unknown, source: string): DetectRulesJson {
  const bad = (what: string): never => {
    throw new CnbError(`${source}: detect rules: ${what}`, { hint: "package it with the same cnbkit version" });
  };
  const doc = json as Partial<DetectRulesJson>;
  if (typeof json !== "object" || json === null || doc.format !== "cnbkit.detect-rules/1") {
    return bad('format is not "cnbkit.detect-rules/1"');
  }
  if (!Array.isArray(doc.rules)) return bad("rules is not a list");
  doc.rules.forEach((r, i) => {
    checkCondition(r?.when, `rule ${i + 1}`, bad);
    checkOutcome(r?.outcome, `rule ${i + 1}`, bad);
  });
  checkOutcome(doc.otherwise, "otherwise", bad);
  return doc as DetectRulesJson;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// The sh script builds a case pattern from it letter by letter, so nothing else may pass.
const BINDING_TYPE = /^[A-Za-z0-9._-]+$/;
const PATH_OK = (p: unknown) =>
  typeof p === "string" &&
  !p.startsWith("/") &&
  !p.includes("\0") &&
  p.split("/").every((s) => !["", ".", ".."].includes(s));

function checkCondition(c: DetectCondition | undefined, where: string, bad: (what: string) => never): void {
  if (typeof c !== "object" || c === null) bad(`${where}: no condition`);
  if ("not" in c) {
    checkCondition(c.not, `${where}: not`, bad);
    return;
  }
  if ("env" in c) {
    if (!ENV_NAME.test(String(c.env))) bad(`${where}: env ${JSON.stringify(c.env)} is not a variable name`);
    if (c.equals !== undefined && (typeof c.equals !== "string" || c.equals.includes("\0"))) {
      bad(`${where}: env equals is not a string`);
    }
    return;
  }
  if ("envPrefix" in c) {
    if (!ENV_NAME.test(String(c.envPrefix)))
      bad(`${where}: envPrefix ${JSON.stringify(c.envPrefix)} is not a name start`);
    return;
  }
  if ("processEnv" in c) {
    if (!ENV_NAME.test(String(c.processEnv)))
      bad(`${where}: processEnv ${JSON.stringify(c.processEnv)} is not a variable name`);
    return;
  }
  if ("bindingType" in c) {
    if (!BINDING_TYPE.test(String(c.bindingType)))
      bad(`${where}: bindingType ${JSON.stringify(c.bindingType)} is not ASCII letters, digits, ".", "_" or "-"`);
    return;
  }
  if ("suffix" in c) {
    if (typeof c.suffix !== "string" || /^\.*$|[/\0]/.test(c.suffix)) bad(`${where}: suffix is not a name ending`);
    return;
  }
  const paths = "file" in c ? [c.file] : "anyFile" in c ? c.anyFile : "allFiles" in c ? c.allFiles : undefined;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every(PATH_OK)) {
    bad(
      `${where}: not a file, anyFile, allFiles, suffix, env, envPrefix, processEnv, bindingType or not condition with relative paths`,
    );
  }
}

function checkOutcome(o: DetectOutcomeJson | undefined, where: string, bad: (what: string) => never): void {
  const ok =
    typeof o === "object" &&
    o !== null &&
    (o.kind === "code" ||
      (o.kind === "pass" && typeof o.plan === "string" && !o.plan.includes("\0")) ||
      (o.kind === "fail" && typeof o.reason === "string" && !/[\n\0]/.test(o.reason)));
  if (!ok) bad(`${where}: outcome is not pass (with plan TOML), fail (with one line) or code`);
}
