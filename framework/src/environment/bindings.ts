/**
 * Service bindings in the servicebinding.io layout (https://servicebinding.io/spec/core/1.1.0/).
 *
 * ```
 * $SERVICE_BINDING_ROOT            (or <platform>/bindings)
 * └── my-mirror                    one directory per binding: its name
 *     ├── type                     required, e.g. "dependency-mirror"
 *     ├── provider                 optional
 *     └── default                  every other file is an entry (often a secret)
 * ```
 *
 * Values are read lazily through {@link Binding.read}, so secrets are neither held in memory
 * nor reachable by accident from a log line or an error message. Nothing here logs a value.
 * The legacy CNB layout (`metadata/kind` + `secret/`) is not supported.
 */
import { readdirNow as readdir, readFileNow as readFile, statNow as stat } from "../fs/now.js";
import { join } from "node:path";
import { CnbError } from "../errors/index.js";

/** One service binding. Entry values are read on demand with {@link Binding.read}. */
export interface Binding {
  /** The binding's name: its directory name. */
  readonly name: string;
  /** The content of its `type` file, trimmed. */
  readonly type: string;
  /** The content of its `provider` file, trimmed, if present. */
  readonly provider?: string;
  /** The binding's directory (empty for in-memory bindings). */
  readonly path: string;
  /** Entry names (files other than `type` and `provider`), sorted. */
  readonly entries: string[];
  /** Reads one entry as text (untrimmed), or `undefined` when there is no such entry. */
  read(key: string): Promise<string | undefined>;
}

/**
 * Where bindings live: `SERVICE_BINDING_ROOT` when set (the servicebinding.io variable),
 * else `<platform>/bindings` (the CNB platform spec).
 */
export function bindingsRoot(env: Record<string, string | undefined>, platformDir: string): string {
  const root = env.SERVICE_BINDING_ROOT;
  return root !== undefined && root !== "" ? root : join(platformDir, "bindings");
}

/**
 * Reads every binding under `root` (a missing root means no bindings), sorted by name.
 * Binding directories whose names start with `.` are skipped, and so are entries starting with
 * `..` (the links Kubernetes mounts secrets with); dotfile entries such as `.npmrc` are kept.
 *
 * @throws CnbError when a binding has no `type` file.
 */
export async function readBindings(root: string): Promise<Binding[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: Binding[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    const dir = join(root, name);
    if (!(await stat(dir)).isDirectory()) continue;
    const files: string[] = [];
    for (const f of (await readdir(dir)).sort()) {
      // Kubernetes' atomic writer keeps `..data` and `..<timestamp>`; real entries may be
      // dotfiles (`.npmrc`, `.yarnrc.yml`), so only `..` names are skipped.
      if (f.startsWith("..")) continue;
      if ((await stat(join(dir, f))).isFile()) files.push(f);
    }
    if (!files.includes("type")) {
      throw new CnbError(`${dir}: binding "${name}" has no "type" file`, {
        hint: "Every service binding needs a file named type (servicebinding.io), e.g. echo dependency-mirror > type",
      });
    }
    const type = (await readFile(join(dir, "type"), "utf8")).trim();
    const provider = files.includes("provider") ? (await readFile(join(dir, "provider"), "utf8")).trim() : undefined;
    const entries = files.filter((f) => f !== "type" && f !== "provider");
    out.push({
      name,
      type,
      ...(provider === undefined ? {} : { provider }),
      path: dir,
      entries,
      read: async (key) => (entries.includes(key) ? readFile(join(dir, key), "utf8") : undefined),
    });
  }
  return out;
}

/**
 * A binding held in memory, for tests and for platforms that pass bindings another way.
 *
 * @example
 * const mirror = memoryBinding("mirror", "dependency-mirror", { default: "https://mirror.example/{originalHost}" });
 */
export function memoryBinding(name: string, type: string, values: Record<string, string>, provider?: string): Binding {
  const copy = { ...values };
  return {
    name,
    type,
    ...(provider === undefined ? {} : { provider }),
    path: "",
    entries: Object.keys(copy).sort(),
    read: async (key) => (Object.hasOwn(copy, key) ? copy[key] : undefined),
  };
}

/** A set of bindings with the look-ups buildpacks need. Types compare case-insensitively. */
export class Bindings {
  /** Every binding, sorted by name. */
  readonly all: readonly Binding[];

  constructor(bindings: readonly Binding[]) {
    this.all = [...bindings].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Reads the bindings under {@link bindingsRoot}. */
  static async load(env: Record<string, string | undefined>, platformDir: string): Promise<Bindings> {
    return new Bindings(await readBindings(bindingsRoot(env, platformDir)));
  }

  /** Bindings whose type equals `type` (case-insensitive, as libcnb and packit compare). */
  byType(type: string): Binding[] {
    const t = type.toLowerCase();
    return this.all.filter((b) => b.type.toLowerCase() === t);
  }

  /** The binding named `name`, if any. */
  byName(name: string): Binding | undefined {
    return this.all.find((b) => b.name === name);
  }

  /**
   * The single binding of `type`, or `undefined` when there is none.
   *
   * @throws CnbError when there is more than one, naming them.
   */
  one(type: string): Binding | undefined {
    const found = this.byType(type);
    if (found.length > 1) {
      throw new CnbError(
        `found ${found.length} bindings of type "${type}" (${found.map((b) => b.name).join(", ")}); expected at most one`,
        { hint: `Remove all but one binding of type ${type}.` },
      );
    }
    return found[0];
  }
}
