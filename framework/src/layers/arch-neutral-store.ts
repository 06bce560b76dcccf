/**
 * The arch-neutral store as a build uses it: the native build stores each layer declared
 * `archNeutral` (its files, key and metadata); an emulated build of the same app restores it
 * instead of filling the layer, if and only if the stored key equals the one it expects and
 * the same buildpack version stored it. So work that does not depend on the CPU (a Maven
 * build, a pure-JS install) runs once, at native speed.
 *
 * Safety, beyond the key (which the buildpack makes of the source digest and tool versions):
 * - a layer that holds an ELF file (a native addon, a compiled tool) is never stored, whatever
 *   its buildpack said: one line says which file;
 * - an entry is written to a temp dir and renamed into place, so a failed native build
 *   leaves none half-written;
 * - only a build whose binding says `role = produce` writes (the platform also mounts it
 *   read-only for the others).
 *
 * A layer whose files differ by architecture in a few known places (a venv with one native
 * wheel) can still be built once: the native build stores a *variant* for each reusing
 * architecture the binding names ({@link ArchNeutralStore.saveVariant}), made natively by its
 * buildpack, and the build of that architecture restores its own variant first. A variant may
 * hold ELF files, but only of its architecture. A producer that can't make one says why
 * ({@link ArchNeutralStore.declineVariant}), so the reusing build logs the cause at once.
 *
 * ```
 * outputs/<buildpack id, / as _>/<layer>/entry.json         format, buildpack, key, metadata, producer arch
 * outputs/<buildpack id, / as _>/<layer>/files/             the layer's files
 * outputs/<buildpack id, / as _>/<layer>@<arch>/entry.json  the same, for <arch> only (or why there is none)
 * outputs/<buildpack id, / as _>/<layer>@<arch>/files/
 * ```
 */
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Bindings } from "../environment/bindings.js";
import type { Logger } from "../log/index.js";
import {
  ARCH_NEUTRAL_BINDING_TYPE,
  ARCH_NEUTRAL_OUTPUTS_DIR,
  ARCH_NEUTRAL_PRODUCING,
  ARCH_NEUTRAL_REUSERS,
  type ArchNeutralRole,
} from "./arch-neutral-binding.js";
import { isTable, keyChanges, type LayerKey } from "./cache-key.js";

/**
 * How long a reusing build waits for a layer the producing build (running beside it) has not
 * stored yet. Past it, the layer is built here: a slow native build costs time, never a wrong
 * image.
 */
const WAIT_FOR_PRODUCER_MS = 15 * 60_000;

/** Bump when entry.json or the files' layout changes: an entry of another format is not read. */
const FORMAT = 1;

/** What entry.json holds. */
interface Entry {
  format: number;
  buildpack: { id: string; version: string };
  layer: string;
  key: LayerKey;
  metadata: Record<string, unknown>;
  /** The architecture of the build that stored it. */
  producer: string;
}

/** What a variant's entry.json holds when the producer could not make it. */
interface Declined {
  format: number;
  producer: string;
  declined: string;
}

/** ELF e_machine values of the architectures cnbkit builds for. */
const ELF_MACHINES: Record<number, string> = { 62: "amd64", 183: "arm64" }; // EM_X86_64, EM_AARCH64

/** What {@link ArchNeutralStore.restore} found. */
export type RestoreResult =
  | { ok: true; metadata: Record<string, unknown>; producer: string }
  | { ok: false; reason: string };

/** The arch-neutral store of one buildpack's build (see the file's doc). */
export class ArchNeutralStore {
  private constructor(
    /** `<binding>/outputs/<buildpack>`. */
    private readonly dir: string,
    /** What this build does with the store: `produce` stores, `reuse` restores. */
    readonly role: ArchNeutralRole,
    private readonly buildpack: { id: string; version: string },
    /** This build's architecture. */
    readonly arch: string,
    private readonly log: Logger,
    /** The architectures of the builds that reuse (a producer's binding names them). */
    readonly reusers: readonly string[] = [],
  ) {}

  /**
   * The store the platform bound (a binding of type {@link ARCH_NEUTRAL_BINDING_TYPE}), or
   * undefined when there is none: then every layer is built here, as always. A binding with
   * an unknown role is one warning, and is not used.
   */
  static async open(
    bindings: Bindings,
    buildpack: { id: string; version: string },
    arch: string,
    log: Logger,
  ): Promise<ArchNeutralStore | undefined> {
    const binding = bindings.one(ARCH_NEUTRAL_BINDING_TYPE);
    if (!binding?.path) return undefined;
    const role = (await binding.read("role"))?.trim();
    if (role !== "produce" && role !== "reuse") {
      log.warn(
        `binding ${binding.name}: role "${role ?? ""}" is neither produce nor reuse; arch-neutral layers are built here`,
      );
      return undefined;
    }
    const dir = join(binding.path, ARCH_NEUTRAL_OUTPUTS_DIR, buildpack.id.replaceAll("/", "_"));
    const reusers = role === "produce" ? ((await binding.read(ARCH_NEUTRAL_REUSERS)) ?? "").split(/\s+/) : [];
    return new ArchNeutralStore(
      dir,
      role,
      buildpack,
      arch,
      log,
      reusers.filter((a) => a !== "" && a !== arch),
    );
  }

  /**
   * Restores layer `name` into `into` (an empty dir) when the stored entry's key equals `key`;
   * otherwise says why not, in words for one log line.
   */
  async restore(name: string, key: LayerKey, into: string): Promise<RestoreResult> {
    const variant = `${name}@${this.arch}`;
    await this.producerStored([variant, name]);
    // This architecture's own variant first; then the one copy for every architecture.
    const stored = existsSync(join(this.dir, variant, "entry.json")) ? variant : name;
    const entry = await this.read(stored);
    if (typeof entry === "string") return { ok: false, reason: entry };
    if (entry.buildpack.version !== this.buildpack.version) {
      return {
        ok: false,
        reason: `the ${entry.producer} build's copy is from ${this.buildpack.id} ${entry.buildpack.version}, this is ${this.buildpack.version}`,
      };
    }
    const changes = keyChanges(entry.key, key);
    if (changes.length > 0)
      return { ok: false, reason: `the ${entry.producer} build's copy has ${changes.join(", ")}` };
    await cp(join(this.dir, stored, "files"), into, { recursive: true, verbatimSymlinks: true });
    return { ok: true, metadata: entry.metadata, producer: entry.producer };
  }

  /**
   * Stores layer `name` (its files in `from`, its key and metadata) for the other platforms'
   * builds, replacing an older entry. A layer with an ELF file in it is not stored (one line).
   */
  async save(name: string, key: LayerKey, metadata: Record<string, unknown>, from: string): Promise<void> {
    const elf = await firstElf(from, "", () => true);
    if (elf !== undefined) {
      this.log.detail(`Not sharing ${name} with the other platforms' builds: ${elf} is a native (ELF) binary`);
      return;
    }
    await this.store(name, { files: from, key, metadata });
    this.log.detail(`Shared ${name} with the other platforms' builds (arch-neutral)`);
  }

  /**
   * Stores the `arch` build's own variant of layer `name`, made here by the buildpack (its
   * files in `from`): that build restores it in place of the layer. It may hold ELF files of
   * `arch` only; one of another architecture is refused with one line, and nothing is stored.
   */
  async saveVariant(
    arch: string,
    name: string,
    key: LayerKey,
    metadata: Record<string, unknown>,
    from: string,
  ): Promise<boolean> {
    const foreign = await firstElf(from, "", (machine) => machine !== arch);
    if (foreign !== undefined) {
      await this.declineVariant(arch, name, `${foreign} is not a linux/${arch} binary`);
      return false;
    }
    await this.store(`${name}@${arch}`, { files: from, key, metadata });
    this.log.detail(`Made ${name} for the linux/${arch} build here (its native files swapped for ${arch}'s)`);
    return true;
  }

  /** Says why the `arch` build gets no variant of layer `name`: that build logs it and builds the layer. */
  async declineVariant(arch: string, name: string, reason: string): Promise<void> {
    this.log.detail(`Not making ${name} for the linux/${arch} build: ${reason}`);
    await this.store(`${name}@${arch}`, { declined: reason });
  }

  /** Writes entry `stored` (files and entry.json) in a temp dir renamed into place. */
  private async store(
    stored: string,
    what: { files: string; key: LayerKey; metadata: Record<string, unknown> } | { declined: string },
  ): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = await mkdtemp(join(this.dir, `.${stored}-`));
    try {
      let entry: Entry | Declined;
      if ("declined" in what) entry = { format: FORMAT, producer: this.arch, declined: what.declined };
      else {
        await cp(what.files, join(tmp, "files"), { recursive: true, verbatimSymlinks: true });
        const { key, metadata } = what;
        entry = { format: FORMAT, buildpack: this.buildpack, layer: stored, key, metadata, producer: this.arch };
      }
      await writeFile(join(tmp, "entry.json"), JSON.stringify(entry));
      await rm(join(this.dir, stored), { recursive: true, force: true });
      await rename(tmp, join(this.dir, stored));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * While the producing build runs beside this one (its marker is there), waits until it has
   * stored one of `names` or ended, saying so once.
   */
  private async producerStored(names: readonly string[]): Promise<void> {
    const marker = join(this.dir, "..", ARCH_NEUTRAL_PRODUCING);
    const stored = () => names.some((n) => existsSync(join(this.dir, n, "entry.json")));
    const deadline = Date.now() + WAIT_FOR_PRODUCER_MS;
    let said = false;
    while (existsSync(marker) && !stored() && Date.now() < deadline) {
      if (!said) {
        const name = names.at(-1) ?? "";
        this.log.detail(`Waiting for ${name} from the build of the other platform (it runs at the same time)`);
      }
      said = true;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The stored entry of `name`, or why there is none to use. */
  private async read(name: string): Promise<Entry | string> {
    let text: string;
    try {
      text = await readFile(join(this.dir, name, "entry.json"), "utf8");
    } catch {
      return "the native build stored no copy";
    }
    let entry: Partial<Entry>;
    try {
      entry = JSON.parse(text) as Partial<Entry>;
    } catch {
      return "its stored copy is unreadable";
    }
    const declined = (entry as Partial<Declined>).declined;
    if (entry.format === FORMAT && typeof declined === "string")
      return `the ${entry.producer} build did not make one: ${declined}`;
    if (entry.format !== FORMAT || !isTable(entry.key) || !entry.buildpack || typeof entry.producer !== "string") {
      return `its stored copy is of another format (${String(entry.format)}, this reads ${FORMAT})`;
    }
    return entry as Entry;
  }
}

/**
 * The first regular file under `dir` (path relative, `rel` its prefix) that is an ELF file
 * whose machine `matches` (named as in {@link ELF_MACHINES}, else "other").
 */
async function firstElf(dir: string, rel: string, matches: (machine: string) => boolean): Promise<string | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      const found = await firstElf(join(dir, e.name), path, matches);
      if (found !== undefined) return found;
    } else if (e.isFile()) {
      const machine = await elfMachine(join(dir, e.name));
      if (machine !== undefined && matches(machine)) return path;
    }
  }
  return undefined;
}

/** The ELF machine of `file` ("amd64", "arm64" or "other"), or undefined when it is not an ELF file. */
async function elfMachine(file: string): Promise<string | undefined> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(20);
    const { bytesRead } = await fh.read(buf, 0, 20, 0);
    if (bytesRead < 4 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
    // e_machine, little-endian (the only byte order cnbkit's architectures use).
    return bytesRead === 20 ? (ELF_MACHINES[buf.readUInt16LE(18)] ?? "other") : "other";
  } finally {
    await fh.close();
  }
}
