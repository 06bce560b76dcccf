/**
 * Which Node.js version an app asks for, and where it said so.
 *
 * Order (first found wins, like Paketo's node-engine and Heroku): BP_NODE_VERSION,
 * package.json `engines.node`, `.nvmrc`, `.node-version`, then the buildpack's default
 * (the current LTS line). The source is returned so the build log can name it.
 */
import { CnbError } from "@cnbkit/framework";
import semver from "semver";

/** LTS codenames (nvm's `lts/<name>`) and their major lines. */
export const LTS_CODENAMES: Readonly<Record<string, number>> = Object.freeze({
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
});

/** Where a version request came from. */
export type NodeVersionSource =
  | "BP_NODE_VERSION"
  | "package.json engines.node"
  | ".nvmrc"
  | ".node-version"
  | "default";

/** A resolved request: a semver range to match against the inventory, and its source. */
export interface NodeVersionRequest {
  /** A semver range, e.g. `24.x`, `>=22 <25`, `24.11.1`, `*`. */
  range: string;
  source: NodeVersionSource;
  /** The text as the user wrote it (before alias expansion), for the log. */
  raw: string;
}

/** What {@link resolveNodeVersion} looks at; file contents are passed in, not read here. */
export interface NodeVersionInputs {
  env: Record<string, string | undefined>;
  /** package.json `engines.node`, if any. */
  enginesNode?: unknown;
  /** The text of `.nvmrc`, if the file exists. */
  nvmrc?: string;
  /** The text of `.node-version`, if the file exists. */
  nodeVersionFile?: string;
  /** The default range (the buildpack's current LTS line), e.g. `24.*`. */
  defaultRange: string;
  /** The newest LTS major, what `lts/*` means. */
  latestLtsMajor: number;
}

/**
 * Picks the Node.js version range for a build.
 *
 * @example
 * resolveNodeVersion({ env: {}, enginesNode: "24.x", defaultRange: "24.*", latestLtsMajor: 24 })
 * // { range: "24.x", source: "package.json engines.node", raw: "24.x" }
 */
export function resolveNodeVersion(inputs: NodeVersionInputs): NodeVersionRequest {
  const fromEnv = inputs.env.BP_NODE_VERSION?.trim();
  if (fromEnv) return make(fromEnv, "BP_NODE_VERSION", inputs.latestLtsMajor);
  if (inputs.enginesNode !== undefined && inputs.enginesNode !== null) {
    if (typeof inputs.enginesNode !== "string" || inputs.enginesNode.trim() === "") {
      throw new CnbError(
        `package.json: engines.node must be a version range string, not ${JSON.stringify(inputs.enginesNode)}`,
      );
    }
    return make(inputs.enginesNode.trim(), "package.json engines.node", inputs.latestLtsMajor);
  }
  const nvmrc = firstLine(inputs.nvmrc);
  if (nvmrc) return make(nvmrc, ".nvmrc", inputs.latestLtsMajor);
  const nodeVersion = firstLine(inputs.nodeVersionFile);
  if (nodeVersion) return make(nodeVersion, ".node-version", inputs.latestLtsMajor);
  return { range: inputs.defaultRange, source: "default", raw: inputs.defaultRange };
}

/**
 * Turns nvm-style text (`v24`, `lts/*`, `lts/jod`, `node`, `24.11.1`) into a semver range.
 * Throws a {@link CnbError} naming `where` when the text is neither.
 */
export function toSemverRange(text: string, where: string, latestLtsMajor: number): string {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (lower === "node" || lower === "stable" || lower === "current" || lower === "latest") return "*";
  if (lower === "lts/*" || lower === "lts" || lower === "lts/-0") return `${latestLtsMajor}.x`;
  if (lower.startsWith("lts/")) {
    const name = lower.slice(4);
    const major = LTS_CODENAMES[name];
    if (major === undefined) {
      throw new CnbError(`${where}: unknown LTS codename "${t.slice(4)}"`, {
        hint: `Known: ${Object.keys(LTS_CODENAMES).join(", ")}, or use lts/*`,
      });
    }
    return `${major}.x`;
  }
  const noV = t.replace(/^v(?=\d)/i, "");
  if (semver.validRange(noV) === null) {
    throw new CnbError(`${where}: "${t}" is not a Node.js version or range`, {
      hint: 'Use e.g. "24", "24.x", ">=22 <25", "lts/*"',
    });
  }
  return noV;
}

function make(raw: string, source: NodeVersionSource, latestLtsMajor: number): NodeVersionRequest {
  const where =
    source === "BP_NODE_VERSION"
      ? "BP_NODE_VERSION"
      : source === "package.json engines.node"
        ? "package.json: engines.node"
        : source;
  return { range: toSemverRange(raw, where, latestLtsMajor), source, raw };
}

function firstLine(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  for (const line of text.split(/\r?\n/)) {
    const t = line.replace(/#.*$/, "").trim();
    if (t) return t;
  }
  return undefined;
}

/** The log line for a request, e.g. `package.json engines.node: "24.x" (BP_NODE_VERSION unset)`. */
export function describeNodeVersionRequest(req: NodeVersionRequest): string {
  if (req.source === "default") return `No version requested; using the default "${req.range}" (current LTS)`;
  const suffix = req.source === "BP_NODE_VERSION" ? "" : "  (BP_NODE_VERSION unset)";
  const expanded = req.range !== req.raw ? ` → "${req.range}"` : "";
  return `${req.source}: "${req.raw}"${expanded}${suffix}`;
}
