/**
 * Monorepos: where the project is (BP_NODE_PROJECT_PATH) and where dependencies install
 * (the workspace root when npm/yarn `workspaces` or pnpm-workspace.yaml declares one).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseYamlFile } from "./yaml-file.js";

export { projectPath } from "./project-path.js";

/** A workspace declaration found at the app root. */
export interface Workspaces {
  kind: "npm/yarn" | "pnpm";
  /** Glob patterns of member packages, e.g. `packages/*`. */
  patterns: string[];
}

/**
 * Reads a workspace declaration from the root package.json (`workspaces` as an array or
 * `{ packages: [...] }`) or pnpm-workspace.yaml; undefined when there is none.
 */
export function detectWorkspaces(
  rootPkg: Record<string, unknown> | undefined,
  pnpmWorkspaceYaml: string | undefined,
): Workspaces | undefined {
  if (pnpmWorkspaceYaml !== undefined) {
    const doc = parseYamlFile(pnpmWorkspaceYaml, "pnpm-workspace.yaml");
    const pkgs = doc.packages;
    return {
      kind: "pnpm",
      patterns: Array.isArray(pkgs) ? pkgs.filter((p): p is string => typeof p === "string") : [],
    };
  }
  const ws = rootPkg?.workspaces;
  if (Array.isArray(ws)) return { kind: "npm/yarn", patterns: ws.filter((p): p is string => typeof p === "string") };
  if (ws && typeof ws === "object" && Array.isArray((ws as { packages?: unknown }).packages)) {
    const pkgs = (ws as { packages: unknown[] }).packages;
    return { kind: "npm/yarn", patterns: pkgs.filter((p): p is string => typeof p === "string") };
  }
  return undefined;
}

/**
 * True when `project` (relative, posix) is matched by one of the workspace patterns, so the
 * install belongs at the workspace root. Supports `*` (one segment) and `**` (any depth).
 */
export function isWorkspaceMember(project: string, ws: Workspaces): boolean {
  if (project === ".") return false;
  return ws.patterns.some((p) => globToRegExp(p.replace(/^\.\//, "").replace(/\/+$/, "")).test(project));
}

/**
 * The member directories under `root` (relative, posix, sorted): directories with a
 * package.json that a pattern matches and no `!` pattern excludes. node_modules and dot
 * directories are not searched. Package managers may give each member its own node_modules
 * (pnpm always does), which the build must keep in a layer like the root's.
 *
 * @example
 * await workspaceMembers("/workspace", { kind: "pnpm", patterns: ["packages/*", "!packages/old"] })
 * // ["packages/api", "packages/web"]
 */
export async function workspaceMembers(root: string, ws: Workspaces): Promise<string[]> {
  const include = ws.patterns.filter((p) => !p.startsWith("!"));
  const exclude = ws.patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1));
  const isMember = (rel: string) =>
    isWorkspaceMember(rel, { ...ws, patterns: include }) && !isWorkspaceMember(rel, { ...ws, patterns: exclude });
  const found: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(rel === "." ? root : join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    if (rel !== "." && entries.some((e) => e.name === "package.json" && e.isFile()) && isMember(rel)) found.push(rel);
    for (const e of entries) {
      if (!e.isDirectory() || e.name === "node_modules" || e.name.startsWith(".")) continue;
      await walk(rel === "." ? e.name : `${rel}/${e.name}`);
    }
  };
  await walk(".");
  return found.sort();
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") re += "[^/]*";
    else if ("\\^$+?.()|{}[]".includes(c)) re += `\\${c}`;
    else re += c;
  }
  return new RegExp(`^${re}$`);
}
