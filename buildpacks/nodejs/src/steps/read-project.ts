/**
 * Step: read the project. Where the app is (BP_NODE_PROJECT_PATH), its package.json, and
 * where its dependencies install: the workspace root when the project is a member of an
 * npm/yarn/pnpm workspace, else the project itself.
 */
import { join } from "node:path";
import { type AppFiles, CnbError, type Settings } from "@cnbkit/framework";
import { detectWorkspaces, isWorkspaceMember, projectPath, type Workspaces, workspaceMembers } from "../workspaces.js";

/** One directory of the app, with its package.json. */
export interface ProjectDir {
  /** Relative to the app root, posix; "." for the root. */
  path: string;
  /** Absolute. */
  dir: string;
  /** Its parsed package.json; undefined when it has none. */
  pkg?: Record<string, unknown> | undefined;
}

/** What the build knows about the app's layout. */
export interface Project {
  /** The project (what is started). */
  project: ProjectDir;
  /** Where dependencies install (the project, or its workspace root). */
  install: ProjectDir;
  /** The workspace declared at the install root, if any. */
  workspaces?: Workspaces | undefined;
  /** Workspace members under the install root (relative, posix), when the install root is a workspace. */
  members: string[];
}

/**
 * `file` (relative to `dir`) as a path relative to the app root, for messages.
 *
 * @example
 * appRelative({ path: "packages/web" }, "package.json") // "packages/web/package.json"
 */
export function appRelative(dir: Pick<ProjectDir, "path">, file: string): string {
  return dir.path === "." ? file : `${dir.path}/${file}`;
}

/** Reads the project. A package.json that is not a JSON object is an error naming it. */
export async function readProject(app: AppFiles, settings: Settings): Promise<Project> {
  const path = projectPath(settings);
  const pkg = await readPackageJson(app, path);
  const rootPkg = path === "." ? pkg : await readPackageJson(app, ".");
  const workspaces = detectWorkspaces(rootPkg, await app.readText("pnpm-workspace.yaml", { optional: true }));
  const project: ProjectDir = { path, dir: join(app.path, path), pkg };
  const atRoot = path !== "." && workspaces !== undefined && isWorkspaceMember(path, workspaces);
  const install: ProjectDir = atRoot ? { path: ".", dir: app.path, pkg: rootPkg } : project;
  const members = workspaces && install.path === "." ? await workspaceMembers(install.dir, workspaces) : [];
  return { project, install, workspaces: install.path === "." ? workspaces : undefined, members };
}

async function readPackageJson(app: AppFiles, dir: string): Promise<Record<string, unknown> | undefined> {
  const file = dir === "." ? "package.json" : `${dir}/package.json`;
  const pkg = await app.readJson(file, { optional: true });
  if (pkg !== undefined && (typeof pkg !== "object" || pkg === null || Array.isArray(pkg))) {
    throw new CnbError(`${file}: must be a JSON object`);
  }
  return pkg as Record<string, unknown> | undefined;
}
