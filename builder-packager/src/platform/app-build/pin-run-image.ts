/**
 * A run image from a registry with a port (`127.0.0.1:5000/acme/run:1`) inside the lifecycle's
 * layout repository. The analyzer and restorer record it in analyzed.toml by its layout path
 * (`/layout-repo/127.0.0.1:5000/acme/run/1@sha256:…`), which the exporter must parse as a
 * reference, and cannot: the port puts a `:` inside a path component ("could not parse
 * reference"). So the image is pinned at a path with `_` for `:` before the exporter runs,
 * and the app image's label is given the real reference back when cnbkit writes it out.
 */
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { type ImageConfig, parseReference } from "../../oci/index.js";
import { LABELS } from "../app-image.js";

const LIFECYCLE_LABEL = LABELS.lifecycle;

/**
 * Before the exporter: when analyzed.toml's run-image `reference` is a layout path with a `:`
 * in it, the image (only its manifest and config are there) is copied to the same path with
 * `_` for `:`, and the reference points at the copy. `mount` is where the container sees the
 * layout repository `repoDir`. Does nothing for any other reference.
 *
 * @example
 * await pinRunImageReference(join(rootfs, "layers"), repo.dir, "/layout-repo");
 */
export async function pinRunImageReference(layersDir: string, repoDir: string, mount: string): Promise<void> {
  const file = join(layersDir, "analyzed.toml");
  const doc = parseToml(await readFile(file, "utf8"), file);
  const runImage = doc["run-image"] as TomlTable | undefined;
  const ref = typeof runImage?.reference === "string" ? runImage.reference : "";
  const at = ref.lastIndexOf("@");
  if (!runImage || at < 0 || !ref.startsWith(`${mount}/`)) return;
  const rel = ref.slice(mount.length + 1, at);
  if (!rel.includes(":")) return;
  const safe = rel.replaceAll(":", "_");
  await cp(join(repoDir, rel), join(repoDir, safe), { recursive: true });
  runImage.reference = `${mount}/${safe}${ref.slice(at)}`;
  await writeFile(file, stringifyToml(doc));
}

/**
 * What the app image's `runImage.reference` should say instead of the lifecycle's layout path
 * (`/layout-repo/<path>@sha256:…`, pinned or not) when the run image is the registry image
 * `run.ref` whose manifest (for the build's platform) is `run.digest`:
 * `<registry>/<repository>@<digest>`, as the lifecycle records it when it exports to a
 * registry itself. (The digest in the layout path is not one to fetch: in layout mode the
 * exporter digests its own re-encoding of the run image's manifest.) Undefined when
 * `reference` is no layout path or the run image no registry image.
 *
 * @example
 * registryRunReference("/layout-repo/127.0.0.1_5000/acme/run/1@sha256:9b…", { ref: "127.0.0.1:5000/acme/run:1", digest: "sha256:38…" }, "/layout-repo")
 * // "127.0.0.1:5000/acme/run@sha256:38…"
 */
export function registryRunReference(reference: string, run: RunImageName, mount: string): string | undefined {
  if (!/^.*@sha256:[0-9a-f]{64}$/.test(reference) || !reference.startsWith(`${mount}/`)) return undefined;
  const parsed = parseReference(run.ref);
  if (parsed.kind !== "registry") return undefined;
  return `${parsed.registry}/${parsed.repository}@${run.digest}`;
}

/** A run image as the user named it, and its manifest's digest for the build's platform. */
export interface RunImageName {
  ref: string;
  digest: string;
}

/**
 * `config` (an exported app image's) with its `runImage.reference` replaced by
 * {@link registryRunReference}'s, or undefined when there is nothing to replace. Only that
 * string changes in the label: it is the lifecycle's JSON, kept byte for byte otherwise.
 */
export function withRegistryRunReference(
  config: ImageConfig,
  run: RunImageName,
  mount: string,
): ImageConfig | undefined {
  const labels = config.config?.Labels ?? {};
  const label = labels[LIFECYCLE_LABEL];
  if (!label) return undefined;
  const reference = (JSON.parse(label) as { runImage?: { reference?: string } }).runImage?.reference;
  const real = reference ? registryRunReference(reference, run, mount) : undefined;
  const from = `"reference":${JSON.stringify(reference)}`;
  if (!real || !label.includes(from)) return undefined;
  const relabelled = label.replace(from, `"reference":${JSON.stringify(real)}`);
  return { ...config, config: { ...config.config, Labels: { ...labels, [LIFECYCLE_LABEL]: relabelled } } };
}
