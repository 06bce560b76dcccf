/**
 * Why a Bun project stops the build, in one line that says what to do.
 *
 * A Bun lock alone is refused: this buildpack installs with npm, yarn or pnpm, and an
 * unpinned `npm install` would not be the tree Bun locked. A root that also holds a uv
 * workspace (fastapi/full-stack-fastapi-template: Bun workspaces for the frontend, a
 * `[tool.uv.workspace]` whose member serves the built frontend) is one image to its authors,
 * built by its Dockerfile as "bun run build, then uv sync --package, then run the member".
 * cnbkit runs neither Bun nor a uv workspace member from the root, so the line says that and
 * names the member to build once the frontend is built.
 */
import { CnbError } from "@cnbkit/framework";

/** What {@link bunRefusal} looks at. */
export interface BunRefusalInputs {
  /** The Bun lockfile, relative to the app root (`bun.lock`, `frontend/bun.lockb`). */
  lockfile: string;
  /** The parsed pyproject.toml beside package.json, when there is one. */
  pyproject?: Record<string, unknown> | undefined;
}

/**
 * The error for a Bun project.
 *
 * @example
 * bunRefusal({ lockfile: "bun.lock" }).message
 * // "bun.lock: Bun projects are not supported by cnbkit/nodejs"
 * bunRefusal({ lockfile: "bun.lock", pyproject: { tool: { uv: { workspace: { members: ["backend"] } } } } }).message
 * // "bun.lock: Bun projects are not supported by cnbkit/nodejs, and this root is a uv workspace whose app is backend"
 */
export function bunRefusal(inputs: BunRefusalInputs): CnbError {
  const members = uvWorkspaceMembers(inputs.pyproject);
  const base = `${inputs.lockfile}: Bun projects are not supported by cnbkit/nodejs`;
  if (members.length === 0) {
    return new CnbError(base, {
      hint: 'Commit a lockfile of npm, yarn or pnpm (e.g. run "npm install" and commit package-lock.json), or build with a Bun buildpack',
    });
  }
  const app = members.join(", ");
  return new CnbError(`${base}, and this root is a uv workspace whose app is ${app}`, {
    hint: `Build the frontend with Bun first (bun run build), then the app alone: cnbkit build ${members[0]}`,
  });
}

/** `[tool.uv.workspace] members` of a pyproject.toml; empty for anything else. */
function uvWorkspaceMembers(pyproject: Record<string, unknown> | undefined): string[] {
  const members = dig(pyproject, ["tool", "uv", "workspace", "members"]);
  return Array.isArray(members) ? members.filter((m): m is string => typeof m === "string") : [];
}

function dig(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
