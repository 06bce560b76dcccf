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
 * ```
 * outputs/<buildpack id, / as _>/<layer>/entry.json   format, buildpack, key, metadata, producer arch
 * outputs/<buildpack id, / as _>/<layer>/files/       the layer's files
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
    private readonly arch: string,
    private readonly log: Logger,
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
    return new ArchNeutralStore(dir, role, buildpack, arch, log);
  }

  /**
   * Restores layer `name` into `into` (an empty dir) when the stored entry's key equals `key`;
   * otherwise says why not, in words for one log line.
   */
  async restore(name: string, key: LayerKey, into: string): Promise<RestoreResult> {
    await this.producerStored(name);
    const entry = await this.read(name);
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
    await cp(join(this.dir, name, "files"), into, { recursive: true, verbatimSymlinks: true });
    return { ok: true, metadata: entry.metadata, producer: entry.producer };
  }

  /**
   * Stores layer `name` (its files in `from`, its key and metadata) for the other platforms'
   * builds, replacing an older entry. A layer with an ELF file in it is not stored (one line).
   */
  async save(name: string, key: LayerKey, metadata: Record<string, unknown>, from: string): Promise<void> {
    const elf = await firstElf(from, "");
    if (elf !== undefined) {
      this.log.detail(`Not sharing ${name} with the other platforms' builds: ${elf} is a native (ELF) binary`);
      return;
    }
    await mkdir(this.dir, { recursive: true });
    const tmp = await mkdtemp(join(this.dir, `.${name}-`));
    try {
      await cp(from, join(tmp, "files"), { recursive: true, verbatimSymlinks: true });
      const entry: Entry = {
        format: FORMAT,
        buildpack: this.buildpack,
        layer: name,
        key,
        metadata,
        producer: this.arch,
      };
      await writeFile(join(tmp, "entry.json"), JSON.stringify(entry));
      await rm(join(this.dir, name), { recursive: true, force: true });
      await rename(tmp, join(this.dir, name));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    this.log.detail(`Shared ${name} with the other platforms' builds (arch-neutral)`);
  }

  /**
   * While the producing build runs beside this one (its marker is there), waits until it has
   * stored `name` or ended, saying so once.
   */
  private async producerStored(name: string): Promise<void> {
    const marker = join(this.dir, "..", ARCH_NEUTRAL_PRODUCING);
    const entry = join(this.dir, name, "entry.json");
    const deadline = Date.now() + WAIT_FOR_PRODUCER_MS;
    let said = false;
    while (existsSync(marker) && !existsSync(entry) && Date.now() < deadline) {
      if (!said) this.log.detail(`Waiting for ${name} from the build of the other platform (it runs at the same time)`);
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
    if (entry.format !== FORMAT || !isTable(entry.key) || !entry.buildpack || typeof entry.producer !== "string") {
      return `its stored copy is of another format (${String(entry.format)}, this reads ${FORMAT})`;
    }
    return entry as Entry;
  }
}

/** The first regular file under `dir` (path relative, `rel` its prefix) that starts with the ELF magic. */
async function firstElf(dir: string, rel: string): Promise<string | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      const found = await firstElf(join(dir, e.name), path);
      if (found !== undefined) return found;
    } else if (e.isFile() && (await isElf(join(dir, e.name)))) return path;
  }
  return undefined;
}

async function isElf(file: string): Promise<boolean> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return bytesRead === 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
  } finally {
    await fh.close();
  }
}
