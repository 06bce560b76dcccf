/**
 * BP_NODE_PROJECT_PATH, checked: apart from workspaces.ts so that detect, which needs only
 * this, does not load the YAML parser.
 */
import { isAbsolute, normalize, posix } from "node:path";
import { CnbError } from "@cnbkit/framework";

/**
 * Validates BP_NODE_PROJECT_PATH and returns it as a clean relative posix path ("." when unset).
 * It may not be absolute or leave the app directory.
 *
 * @example
 * projectPath({ BP_NODE_PROJECT_PATH: "./apps/web/" }) // "apps/web"
 */
export function projectPath(env: Record<string, string | undefined>): string {
  const raw = env.BP_NODE_PROJECT_PATH?.trim();
  if (!raw) return ".";
  const clean = posix.normalize(raw.replaceAll("\\", "/")).replace(/\/+$/, "") || ".";
  if (isAbsolute(raw) || clean === ".." || clean.startsWith("../") || normalize(clean).startsWith("..")) {
    throw new CnbError(`BP_NODE_PROJECT_PATH: "${raw}" must be a path inside the app directory`);
  }
  return clean;
}
