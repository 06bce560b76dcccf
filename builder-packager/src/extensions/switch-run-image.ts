/**
 * A run.Dockerfile that is only `FROM <image>` switches the run image: the lifecycle's
 * generator writes the new name into analyzed.toml (`[run-image] image`, `reference`), and
 * the restorer and exporter then read that image from the layout repository, where only
 * cnbkit can put it (../platform/build/apply-extensions.ts places it after the detector). RUN lines in a run.Dockerfile
 * (the same one or a later one) then extend that image (apply-run.ts).
 */
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { generatedDockerfile, groupExtensions } from "./apply-build.js";

/** A run image switch: the image a run.Dockerfile's `FROM` names, and the extension that wrote it. */
export interface RunImageSwitch {
  image: string;
  extension: string;
}

/**
 * The run image the detected group's run.Dockerfiles switch to (the last `FROM <image>`, as
 * the lifecycle's generator takes it), or undefined when none does or it is `current`.
 */
export async function switchedRunImage(layersDir: string, current: string): Promise<RunImageSwitch | undefined> {
  let last: RunImageSwitch | undefined;
  for (const ext of await groupExtensions(layersDir)) {
    const run = await generatedDockerfile(layersDir, ext.id, "run");
    if (run?.from !== undefined) last = { image: run.from, extension: ext.id };
  }
  return last && last.image !== current ? last : undefined;
}

/**
 * After the restorer: analyzed.toml's run-image `reference` names the switched image by the
 * layout path the restorer read it at (`/layout-repo/127.0.0.1:5000/acme/run/latest@sha256:…`),
 * which the exporter must parse as a reference: a registry port puts a `:` inside a path
 * component, and it cannot. The image is copied (it is only its config and manifest there)
 * to the same path with `_` for `:`, and the reference points at that copy.
 * `mount` is where the container sees the layout repository `repoDir`.
 */
export async function pinSwitchedRunImage(layersDir: string, repoDir: string, mount: string): Promise<void> {
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
