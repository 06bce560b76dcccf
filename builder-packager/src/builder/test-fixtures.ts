/**
 * A tiny build base image for builder tests (a few KB, not a Debian rootfs): /etc/passwd
 * and /etc/group with the cnb user, a /home/cnb owned by it, the CNB env and base labels.
 * Variants without the CNB env or with a root user exercise the builder's refusals.
 */
import { imageConfig, OciLayout, writeLayer } from "../oci/index.js";

/** Options of {@link writeTestBaseImage}. */
export interface TestBaseOptions {
  /** Env entries; default PATH plus CNB_USER_ID=1000 and CNB_GROUP_ID=1000. */
  env?: string[];
  /** Config User; default "1000:1000". */
  user?: string;
  arch?: string;
}

/** Writes the base image into `layoutDir` under `tag`; returns its `oci:` reference. */
export async function writeTestBaseImage(layoutDir: string, tag: string, opts: TestBaseOptions = {}): Promise<string> {
  const layout = await OciLayout.create(layoutDir);
  const passwd = "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000::/home/cnb:/bin/sh\n";
  const group = "root:x:0:\ncnb:x:1000:\n";
  const layer = await writeLayer(
    [
      { type: "file", path: "etc/passwd", size: passwd.length, data: passwd },
      { type: "file", path: "etc/group", size: group.length, data: group },
      { type: "dir", path: "home/cnb", uid: 1000, gid: 1000 },
      { type: "dir", path: "tmp", mode: 0o777 },
    ],
    layout.blobDir,
  );
  const config = imageConfig({
    architecture: opts.arch ?? "amd64",
    diffIds: [layer.diffId],
    config: {
      User: opts.user ?? "1000:1000",
      Env: opts.env ?? ["PATH=/usr/bin:/bin", "CNB_USER_ID=1000", "CNB_GROUP_ID=1000"],
      Labels: {
        "io.buildpacks.base.id": "test.base",
        "io.buildpacks.base.distro.name": "debian",
        "io.buildpacks.base.distro.version": "13",
      },
    },
  });
  await layout.writeImage({ config, layers: [layer], tag });
  return `oci:${layout.dir}:${tag}`;
}
