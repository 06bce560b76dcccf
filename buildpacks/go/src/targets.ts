/**
 * Which main packages the build compiles, and what each binary is called: a pure decision over
 * the app's main packages (steps/read-app.ts finds them from the sources, without the go
 * command), its modules and BP_GO_TARGETS.
 *
 * BP_GO_TARGETS (colon-separated package dirs, "./cmd/web:./cmd/worker", as Paketo reads it)
 * wins. Otherwise: the module root when it is a main package; else every `cmd/<name>` main
 * package (the layout most multi-binary repositories use); in a workspace, the same for each
 * module it uses; else the one main package anywhere in the app. Several main packages outside
 * cmd/ are a choice the build can't make: it says which exist and how to pick.
 */
import { CnbError } from "@cnbkit/framework";

/** One binary to build. */
export interface Target {
  /** The package dir as go build takes it: "." or "./cmd/web". */
  pkg: string;
  /** The binary's file name, and the process type it gets. */
  name: string;
}

/** What the choice reads. */
export interface TargetInputs {
  /** Dirs (app-relative, "." for the root, "/" separated) whose package is `main`. */
  mains: readonly string[];
  /** Module roots (app-relative dirs) and their module paths: "." for a single-module app. */
  modules: Readonly<Record<string, string>>;
  /** BP_GO_TARGETS, if set. */
  setting?: string;
}

/** The choice: the targets, and why, for one log line. */
export interface TargetChoice {
  targets: Target[];
  reason: string;
}

/** "./cmd/web/" → "cmd/web"; "." stays. */
function normalize(dir: string): string {
  const d = dir
    .trim()
    .replace(/^\.\/+/, "")
    .replace(/\/+$/, "");
  return d === "" || d === "." ? "." : d;
}

/**
 * The binary go build would name for package dir `dir`: its last element, or for a module
 * root the module path's last element without a major-version suffix (example.com/api/v2 → api).
 */
export function binaryName(dir: string, modules: Readonly<Record<string, string>>): string {
  const module = modules[dir];
  if (module !== undefined) {
    const parts = module.split("/");
    const last = parts[parts.length - 1] ?? "app";
    const name = /^v\d+$/.test(last) && parts.length > 1 ? (parts[parts.length - 2] ?? last) : last;
    return name === "" ? "app" : name;
  }
  const parts = dir.split("/");
  return parts[parts.length - 1] ?? "app";
}

/** The main packages directly under `<root>/cmd/`. */
function cmdMains(root: string, mains: ReadonlySet<string>): string[] {
  const prefix = root === "." ? "cmd/" : `${root}/cmd/`;
  return [...mains].filter((m) => m.startsWith(prefix) && !m.slice(prefix.length).includes("/")).sort();
}

/** `dirs` as targets, each named for its dir; two binaries with one name get their dirs' paths. */
function asTargets(dirs: readonly string[], modules: Readonly<Record<string, string>>): Target[] {
  const named = dirs.map((d) => ({ pkg: d === "." ? "." : `./${d}`, name: binaryName(d, modules) }));
  const counts = new Map<string, number>();
  for (const t of named) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  return named.map((t) => ((counts.get(t.name) ?? 0) > 1 ? { ...t, name: t.pkg.slice(2).replaceAll("/", "-") } : t));
}

/**
 * Chooses the targets.
 *
 * @example
 * chooseTargets({ mains: ["cmd/api", "cmd/worker"], modules: { ".": "example.com/shop" } });
 * // { targets: [{ pkg: "./cmd/api", name: "api" }, { pkg: "./cmd/worker", name: "worker" }], reason: "the main packages under cmd/" }
 * @throws CnbError when BP_GO_TARGETS names a dir that is no main package, or there is none to build
 */
export function chooseTargets(i: TargetInputs): TargetChoice {
  const mains = new Set(i.mains.map(normalize));
  if (i.setting !== undefined && i.setting.trim() !== "") {
    const dirs = i.setting
      .split(":")
      .filter((s) => s.trim() !== "")
      .map(normalize);
    for (const d of dirs) {
      if (!mains.has(d)) {
        throw new CnbError(
          `BP_GO_TARGETS: ${d === "." ? "the app root" : `./${d}`} is not a main package (main packages: ${listed(mains)})`,
          { hint: "Name dirs whose .go files say `package main`, separated by colons (./cmd/web:./cmd/worker)" },
        );
      }
    }
    return { targets: asTargets(dirs, i.modules), reason: `BP_GO_TARGETS "${i.setting}"` };
  }
  const roots = Object.keys(i.modules).sort();
  const rootMains = roots.filter((r) => mains.has(r));
  if (rootMains.length > 0 && roots.length === 1) {
    return { targets: asTargets(rootMains, i.modules), reason: "the module root is a main package" };
  }
  const fromCmd = roots.flatMap((r) => cmdMains(r, mains));
  const chosen = [...new Set([...rootMains, ...fromCmd])].sort();
  if (chosen.length > 0) {
    const reason =
      roots.length > 1
        ? "the workspace modules' root and cmd/ main packages"
        : `the main packages under ${roots[0] === "." ? "" : `${roots[0]}/`}cmd/`;
    return { targets: asTargets(chosen, i.modules), reason };
  }
  if (mains.size === 1) {
    return { targets: asTargets([...mains], i.modules), reason: "the app's only main package" };
  }
  if (mains.size === 0) {
    throw new CnbError("no main package to build: no .go file in the app says `package main`", {
      hint: "Add a main package (at the module root or under cmd/<name>), or set BP_GO_TARGETS",
    });
  }
  throw new CnbError(`several main packages and none at the root or under cmd/: ${listed(mains)}`, {
    hint: "Set BP_GO_TARGETS to the ones to build, separated by colons (for example ./server)",
  });
}

function listed(mains: ReadonlySet<string>): string {
  if (mains.size === 0) return "none";
  return [...mains]
    .sort()
    .map((m) => (m === "." ? "." : `./${m}`))
    .join(", ");
}
