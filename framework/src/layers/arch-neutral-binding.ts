/**
 * The place a platform gives a build for architecture-neutral layers: a service binding of
 * type {@link ARCH_NEUTRAL_BINDING_TYPE}. A multi-platform build (`cnbkit build --platform
 * linux/amd64,linux/arm64`) builds the native platform first with the binding writable and
 * its `role` entry `produce`, then each emulated platform with the same directory read-only
 * and `role` `reuse`.
 *
 * A binding, not an env var and a bare mount: a binding is the CNB platform's one spec'd way
 * to hand a build a directory (servicebinding.io, `<platform>/bindings` or
 * SERVICE_BINDING_ROOT), the framework reads bindings already, and kpack and Tekton can mount
 * one from a volume or workspace without knowing cnbkit. The `role` entry says what the
 * build may do with it, so a store mounted writable by mistake is still only read by a build
 * told to reuse.
 *
 * ```
 * <binding>/
 * ├── type        arch-neutral-outputs
 * ├── provider    cnbkit
 * ├── role        produce | reuse
 * ├── reusers     the architectures of the builds that reuse (one a line; the producer's
 * │               buildpacks may store a variant of a layer for each: arch-neutral-store.ts)
 * └── outputs/    one dir per buildpack and layer (arch-neutral-store.ts)
 *     └── .producing   present while the producing build runs beside this one
 * ```
 *
 * The platform may run the builds at the same time. Then it gives each its own binding dir
 * (its own `role`) over one shared `outputs/`, and keeps `outputs/.producing` there until the
 * producing build has ended: a reusing build that finds no entry yet waits for it, or for the
 * marker to go. Without the marker, a missing entry is final, as when the builds run one after
 * another.
 *
 * No imports beyond node:fs: the packager writes this layout too.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The binding type of the arch-neutral store. */
export const ARCH_NEUTRAL_BINDING_TYPE = "arch-neutral-outputs";

/** The binding's subdirectory that holds the stored layers. */
export const ARCH_NEUTRAL_OUTPUTS_DIR = "outputs";

/** The binding's entry naming the reusing builds' architectures (`arm64`), one a line. */
export const ARCH_NEUTRAL_REUSERS = "reusers";

/** The marker in `outputs/` while the producing build still runs (see the file's doc). */
export const ARCH_NEUTRAL_PRODUCING = ".producing";

/**
 * What a build does with the store: `produce` (the native build) stores each arch-neutral
 * layer it declares; `reuse` (an emulated build) restores one instead of filling it, when its
 * key matches.
 */
export type ArchNeutralRole = "produce" | "reuse";

/**
 * Writes (or rewrites) the binding's `type`, `provider`, `role` and `reusers` entries in `dir`
 * and makes its outputs dir; returns the outputs dir. The platform calls it before each
 * platform's build; `reusers` are the architectures of the builds that will reuse (the
 * producer's buildpacks may store a variant of a layer for each).
 *
 * @example
 * await writeArchNeutralBinding("/tmp/build/arch-neutral", "produce", ["arm64"]); // then mount it at /platform/bindings/arch-neutral
 */
export async function writeArchNeutralBinding(
  dir: string,
  role: ArchNeutralRole,
  reusers: readonly string[] = [],
): Promise<string> {
  const outputs = join(dir, ARCH_NEUTRAL_OUTPUTS_DIR);
  await mkdir(outputs, { recursive: true });
  await writeFile(join(dir, "type"), ARCH_NEUTRAL_BINDING_TYPE);
  await writeFile(join(dir, "provider"), "cnbkit");
  await writeFile(join(dir, "role"), role);
  await writeFile(join(dir, ARCH_NEUTRAL_REUSERS), reusers.map((a) => `${a}\n`).join(""));
  return outputs;
}
