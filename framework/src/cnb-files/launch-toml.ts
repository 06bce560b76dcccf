/** `<layers>/launch.toml`: processes, labels and slices a build contributes to the app image. */
import { posix } from "node:path";
import { describe, execEnvArray, fail, isTable, optBool, optStr, reqStr, strArray, tableArray } from "./fields.js";
import { validateProcessType } from "./names.js";
import { parseToml, stringifyToml, type TomlTable } from "./toml.js";

/** `[[processes]]` (command is an array since Buildpack API 0.9). */
export interface Process {
  /** Validated: letters, digits, '.', '_', '-'. */
  type: string;
  command: string[];
  args?: string[];
  default?: boolean;
  /** TOML `working-dir`. */
  workingDir?: string;
  /** TOML `exec-env` (API 0.12): execution environments this process applies to; all when absent. */
  execEnv?: string[];
}

/** `[[labels]]`: an image label. */
export interface Label {
  key: string;
  value: string;
}

/** `[[slices]]`: app paths exported as a separate layer. */
export interface Slice {
  paths: string[];
}

/** The whole launch.toml. */
export interface LaunchToml {
  processes: Process[];
  labels: Label[];
  slices: Slice[];
}

/**
 * Checks processes (from a build result or a parsed launch.toml) and returns them with only
 * the fields that are set. `where` is the message prefix, usually the file name; fields are
 * named as in TOML (`[[processes]][1].working-dir`). Rules: type valid and unique, command a
 * non-empty array of strings whose first element is not empty, args strings, at most one
 * `default = true`, working-dir a non-empty string, exec-env names.
 *
 * @example
 * validateProcesses(result.processes, "build result");
 */
export function validateProcesses(processes: unknown, where: string): Process[] {
  if (!Array.isArray(processes)) fail(where, "[[processes]]", `must be an array of tables, not ${describe(processes)}`);
  const seen = new Map<string, number>();
  let defaultIndex: number | undefined;
  return processes.map((raw, i) => {
    const at = `[[processes]][${i}]`;
    if (!isTable(raw)) fail(where, at, `must be a table, not ${describe(raw)}`);
    if (raw.type === undefined) fail(where, `${at}.type`, "is required");
    const type = validateProcessType(raw.type, `${where}: ${at}.type`);
    const first = seen.get(type);
    if (first !== undefined) fail(where, `${at}.type`, `"${type}" is already used by [[processes]][${first}]`);
    seen.set(type, i);
    if (raw.command === undefined) fail(where, `${at}.command`, "is required");
    if (typeof raw.command === "string") {
      fail(
        where,
        `${at}.command`,
        `must be an array of strings, not ${describe(raw.command)}`,
        'write command = ["..."]',
      );
    }
    const command = strArray(raw.command, where, `${at}.command`);
    if (command.length === 0) fail(where, `${at}.command`, "must not be empty");
    if (command[0] === "") fail(where, `${at}.command[0]`, "must not be empty (it names the executable)");
    const p: Process = { type, command };
    if (raw.args !== undefined) p.args = strArray(raw.args, where, `${at}.args`);
    const isDefault = optBool(raw, "default", where, `${at}.default`);
    if (isDefault !== undefined) p.default = isDefault;
    if (isDefault) {
      if (defaultIndex !== undefined) {
        fail(
          where,
          `${at}.default`,
          `is true, but [[processes]][${defaultIndex}] is already the default (only one may be)`,
        );
      }
      defaultIndex = i;
    }
    const workingDir = optStr(raw, "workingDir", where, `${at}.working-dir`);
    if (workingDir === "") fail(where, `${at}.working-dir`, "must not be empty");
    if (workingDir !== undefined) p.workingDir = workingDir;
    if (raw.execEnv !== undefined) p.execEnv = execEnvArray(raw.execEnv, where, `${at}.exec-env`);
    return p;
  });
}

/**
 * Parses launch.toml. Legacy `[[bom]]` is ignored; `direct` (removed in API 0.9) is an error.
 * Missing arrays are `[]`.
 */
export function parseLaunchToml(text: string, file: string): LaunchToml {
  const doc = parseToml(text, file);
  const rawProcesses = tableArray(doc, "processes", file, "[[processes]]").map((t, i) => {
    if (t.direct !== undefined) fail(file, `[[processes]][${i}].direct`, "is not supported since Buildpack API 0.9");
    return {
      type: t.type,
      command: t.command,
      args: t.args,
      default: t.default,
      workingDir: t["working-dir"],
      execEnv: t["exec-env"],
    };
  });
  return {
    processes: validateProcesses(rawProcesses, file),
    labels: validateLabels(tableArray(doc, "labels", file, "[[labels]]"), file),
    slices: validateSlices(tableArray(doc, "slices", file, "[[slices]]"), file),
  };
}

/**
 * Writes launch.toml from what a build contributes; absent or empty sections are left out.
 * Everything is validated first (see {@link validateProcesses}), so an invalid process is a
 * CnbError, never a file the lifecycle rejects later.
 */
export function stringifyLaunchToml(l: Partial<LaunchToml>): string {
  const processes = validateProcesses(l.processes ?? [], "launch.toml");
  const labels = validateLabels(l.labels ?? [], "launch.toml");
  const slices = validateSlices(l.slices ?? [], "launch.toml");
  const doc: TomlTable = {};
  if (labels.length > 0) doc.labels = labels.map((x) => ({ key: x.key, value: x.value }));
  if (processes.length > 0) {
    doc.processes = processes.map((p) => ({
      type: p.type,
      command: p.command,
      args: p.args,
      default: p.default,
      "working-dir": p.workingDir,
      "exec-env": p.execEnv,
    }));
  }
  if (slices.length > 0) doc.slices = slices.map((s) => ({ paths: s.paths }));
  return Object.keys(doc).length === 0 ? "" : stringifyToml(doc);
}

function validateLabels(labels: unknown[], where: string): Label[] {
  const seen = new Map<string, number>();
  return labels.map((raw, i) => {
    const at = `[[labels]][${i}]`;
    if (!isTable(raw)) fail(where, at, `must be a table, not ${describe(raw)}`);
    const key = reqStr(raw, "key", where, `${at}.key`);
    const first = seen.get(key);
    if (first !== undefined) fail(where, `${at}.key`, `"${key}" is already used by [[labels]][${first}]`);
    seen.set(key, i);
    if (raw.value === undefined) fail(where, `${at}.value`, "is required");
    const value = optStr(raw, "value", where, `${at}.value`) as string;
    return { key, value };
  });
}

function validateSlices(slices: unknown[], where: string): Slice[] {
  return slices.map((raw, i) => {
    const at = `[[slices]][${i}]`;
    if (!isTable(raw)) fail(where, at, `must be a table, not ${describe(raw)}`);
    const paths = raw.paths === undefined ? [] : strArray(raw.paths, where, `${at}.paths`);
    paths.forEach((p, j) => {
      const n = posix.normalize(p);
      if (n === ".." || n.startsWith("../"))
        fail(where, `${at}.paths[${j}]`, `"${p}" points outside the app directory`);
    });
    return { paths };
  });
}
