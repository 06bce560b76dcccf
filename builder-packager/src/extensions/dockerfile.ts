/**
 * The Dockerfiles image extensions generate (spec image_extension.md, "Dockerfile
 * Requirements"), read as the steps cnbkit applies itself: this lifecycle has no kaniko, so
 * cnbkit is the extender. A build.Dockerfile or run.Dockerfile is `ARG base_image` and
 * `FROM ${base_image}` (or, for run.Dockerfile, `FROM <image>` to switch the run image),
 * then `ARG`, `USER` and `RUN` lines; anything else is one line naming the file, the line
 * and what cnbkit applies.
 */
import { CnbError } from "@cnbkit/framework";

/** The base image argument the spec names; `FROM ${base_image}` extends the image it is given. */
export const BASE_IMAGE_ARG = "base_image";

/** One step to apply, in order. */
export type DockerfileStep =
  | { kind: "run"; command: string; user: string }
  | { kind: "arg"; name: string; value?: string };

/** A generated Dockerfile, as cnbkit applies it. */
export interface ExtensionDockerfile {
  /** `undefined` for `FROM ${base_image}` (extend the image); else the image it switches to. */
  from?: string;
  steps: DockerfileStep[];
  /** The `USER` in force at the end (the spec wants the CNB user back; cnbkit runs the next phases as it anyway). */
  user: string;
}

const APPLIED = "ARG, FROM, USER and RUN (shell form)";

/** Logical lines: `\` continuations joined, comments and blank lines dropped; each with its first line number. */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const trimmed = raw.trim();
    if (!pending && (trimmed === "" || trimmed.startsWith("#"))) continue;
    const continued = /\\$/.test(trimmed);
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { line: pending.line, text: `${pending.text} ${part}` } : { line: i + 1, text: part };
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  }
  if (pending) out.push(pending);
  return out;
}

/**
 * Parses a generated Dockerfile; `where` names it in messages (`acme/apt build.Dockerfile`).
 *
 * @example
 * parseExtensionDockerfile("ARG base_image\nFROM ${base_image}\nUSER root\nRUN apt-get install -y jq\n", "acme/apt build.Dockerfile")
 * // { steps: [{ kind: "arg", name: "base_image" }, { kind: "run", command: "apt-get install -y jq", user: "root" }], user: "root" }
 */
export function parseExtensionDockerfile(text: string, where: string): ExtensionDockerfile {
  let from: string | undefined;
  let sawFrom = false;
  let user = "";
  const steps: DockerfileStep[] = [];
  for (const { line, text: l } of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    const op = (m?.[1] ?? "").toUpperCase();
    const rest = (m?.[2] ?? "").trim();
    const at = `${where} line ${line}`;
    if (op === "FROM") {
      if (sawFrom) throw new CnbError(`${at}: a second FROM; an extension's Dockerfile has one stage`);
      sawFrom = true;
      const image = rest.split(/\s+/)[0] ?? "";
      if (/\s+AS\s+/i.test(rest)) throw new CnbError(`${at}: FROM ... AS (multi-stage) is not applied by cnbkit`);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the spec's literal Dockerfile argument
      if (image !== "${base_image}" && image !== "$base_image") from = image;
    } else if (op === "ARG") {
      const eq = rest.indexOf("=");
      const name = eq < 0 ? rest : rest.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new CnbError(`${at}: ARG "${rest}" is not NAME or NAME=value`);
      steps.push(eq < 0 ? { kind: "arg", name } : { kind: "arg", name, value: unquote(rest.slice(eq + 1)) });
    } else if (op === "USER") {
      if (!sawFrom) throw new CnbError(`${at}: USER before FROM`);
      user = rest;
    } else if (op === "RUN") {
      if (!sawFrom) throw new CnbError(`${at}: RUN before FROM`);
      if (rest.startsWith("[") || rest.startsWith("--"))
        throw new CnbError(
          `${at}: RUN in exec form or with flags is not applied by cnbkit; write it as a shell command`,
        );
      steps.push({ kind: "run", command: rest, user });
    } else {
      throw new CnbError(`${at}: ${op || l} is not applied by cnbkit (it applies ${APPLIED}); do that step in a RUN`);
    }
  }
  if (!sawFrom) throw new CnbError(`${where}: has no FROM; it must start with ARG base_image and FROM \${base_image}`);
  return { ...(from !== undefined ? { from } : {}), steps, user };
}

function unquote(v: string): string {
  const t = v.trim();
  return /^".*"$|^'.*'$/.test(t) ? t.slice(1, -1) : t;
}

/**
 * The environment a RUN step sees: the ARGs in force (`build_id`, `user_id`, `group_id`,
 * `base_image` from the platform, extend-config.toml's build args, the Dockerfile's own
 * defaults), as Docker passes ARGs to RUN.
 */
export function runStepEnv(
  dockerfile: ExtensionDockerfile,
  upTo: number,
  args: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const step of dockerfile.steps.slice(0, upTo)) {
    if (step.kind !== "arg") continue;
    const v = args[step.name] ?? step.value;
    if (v !== undefined) env[step.name] = v;
  }
  return env;
}
