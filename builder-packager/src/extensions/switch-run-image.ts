/**
 * A run.Dockerfile that is only `FROM <image>` switches the run image: the lifecycle's
 * generator writes the new name into analyzed.toml (`[run-image] image`, `reference`), and
 * the restorer and exporter then read that image from the layout repository, where only
 * cnbkit can put it (../platform/app-build/apply-extensions.ts places it after the detector;
 * ../platform/app-build/pin-run-image.ts pins a registry port out of its path). RUN lines in a run.Dockerfile
 * (the same one or a later one) then extend that image (apply-run.ts).
 */
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
