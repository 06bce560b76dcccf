/**
 * ABI-checked rebases with real images: cnbkit's Debian 12 and 13 run images, each under an
 * app layer holding a CPython that Debian built for that release. Trixie's python3.13 needs
 * GLIBC_2.38, which Debian 12 (glibc 2.36) lacks: that rebase is refused in one line and
 * nothing is written. Bookworm's python3.11 needs nothing Debian 13 lacks: it moves from 12
 * to 13 and still runs there.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ABI_NEEDS_LABEL } from "../../builder-packager/src/abi/index.js";
import { DEBIAN_RELEASES, ensureBaseImages } from "../../builder-packager/src/base/index.js";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { main } from "../../builder-packager/src/cli/index.js";
import {
  copyImage,
  imageConfig,
  layerFromDir,
  OciLayout,
  openImageSink,
  openImageSource,
} from "../../builder-packager/src/oci/index.js";
import { type ImageRecord, rebaseFleet } from "../../builder-packager/src/fleet/index.js";
import { rebaseImage, runApp } from "../../builder-packager/src/platform/index.js";

const PYTHONS = join(cnbkitCacheDir(), "python");
const PY13 = join(
  PYTHONS,
  "3.13.5-2+deb13u5-amd64-with-headers",
  "python-3.13.5-2+deb13u5-linux-amd64-install_only.tar.gz",
);
const PY11 = join(
  PYTHONS,
  "3.11.2-6+deb12u9-amd64-with-headers",
  "python-3.11.2-6+deb12u9-linux-amd64-install_only.tar.gz",
);

let work = "";
let run12 = "";
let run13 = "";

/**
 * An app image in `work/apps` tagged `tag`: the run image `runRef` and one layer holding the
 * CPython of `tarball` at /layers/cnbkit_python/python, labelled as the lifecycle labels an
 * app image (no needs label: the check reads the layer, as for an image built before it).
 * `only` keeps one part of the tarball (the binary is enough for a refusal).
 */
async function pythonApp(tag: string, runRef: string, tarball: string, only?: string): Promise<string> {
  const dir = join(work, "apps");
  await copyImage(await openImageSource(runRef), await openImageSink(`oci:${dir}:${tag}-run`));
  const layout = await OciLayout.open(dir);
  const run = await (await openImageSource(`oci:${dir}:${tag}-run`)).image();
  const unpacked = join(work, tag);
  await mkdir(unpacked);
  execFileSync("tar", [
    "xzf",
    tarball,
    "-C",
    unpacked,
    "--exclude=python/include",
    "--exclude=python/lib/python3.*/ensurepip",
    ...(only ? [only] : []),
  ]);
  const layer = await layerFromDir(join(unpacked, "python"), { prefix: "layers/cnbkit_python/python" }, layout.blobDir);
  const diffIds = run.config.rootfs.diff_ids;
  const config = imageConfig({
    architecture: run.config.architecture,
    config: {
      ...run.config.config,
      Entrypoint: [
        "/layers/cnbkit_python/python/bin/python3",
        "-c",
        `import ssl, sys; print("answers", sys.version.split()[0])`,
      ],
      Labels: {
        ...run.config.config?.Labels,
        "io.buildpacks.lifecycle.metadata": JSON.stringify({
          runImage: { topLayer: diffIds[diffIds.length - 1], reference: runRef, image: runRef },
        }),
      },
    },
    diffIds: [...diffIds, layer.diffId],
  });
  await layout.writeImage({ config, layers: [...run.manifest.manifest.layers, layer], tag });
  expect(config.config?.Labels?.[ABI_NEEDS_LABEL]).toBeUndefined();
  return `oci:${dir}:${tag}`;
}

beforeAll(async () => {
  const [trixie, bookworm] = DEBIAN_RELEASES;
  run13 = (await ensureBaseImages({ release: trixie!, onProgress: () => {} })).run.ref;
  // Slim: its build image is the run rootfs, so no second debootstrap (images.test.ts makes it too).
  run12 = (await ensureBaseImages({ release: bookworm!, flavor: "slim", onProgress: () => {} })).run.ref;
  work = await mkdtemp(join(tmpdir(), "cnbkit-abi-rebase-"));
}, 600_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test.runIf(process.arch === "x64")(
  "trixie's python3.13 cannot go onto the Debian 12 run image: one line names the image, GLIBC_2.38 and the file; nothing is written",
  async () => {
    const image = await pythonApp("py13", run13, PY13, "python/bin");
    const before = await readFile(join(work, "apps", "index.json"), "utf8");
    const lines: string[] = [];
    const err = await rebaseImage({ image, runImage: run12, onOutput: (l) => lines.push(l) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(
      /^image oci:.*:py13 cannot go onto run image .*: it needs GLIBC_2\.38 \(libc\.so\.6\), the run image has GLIBC_2\.36, for \/layers\/cnbkit_python\/python\//,
    );
    expect(await readFile(join(work, "apps", "index.json"), "utf8")).toBe(before);

    // The CLI: exit 1, the same line as `error: ...`, then the hint line; nothing written either.
    const out: string[] = [];
    const errs: string[] = [];
    const code = await main(["rebase", image, "--run-image", run12], {
      out: (l) => out.push(l),
      err: (l) => errs.push(l),
    });
    expect(code).toBe(1);
    expect(errs.join("\n")).toContain(`error: ${message}\n  use a run image that provides it`);
    expect(await readFile(join(work, "apps", "index.json"), "utf8")).toBe(before);

    // --force goes through, and says what it let past.
    const forced = await rebaseImage({
      image,
      runImage: run12,
      output: `oci:${work}/forced`,
      force: true,
      onOutput: (l) => lines.push(l),
    });
    expect(forced.abi.kind).toBe("forced");
    expect(lines.join("\n")).toMatch(/ABI check: forced past \d+ gap\(s\): the app needs GLIBC_2\.38 \(libc\.so\.6\)/);
  },
  300_000,
);

test.runIf(process.arch === "x64")(
  "fleet rebase reports the same image refused, with the same line, and leaves its tag",
  async () => {
    const dir = join(work, "apps");
    const app = await (await openImageSource(`oci:${dir}:py13`)).image();
    const record = {
      repository: `oci:${dir}`,
      tags: ["py13"],
      digest: app.manifest.digest,
      platform: "linux/amd64",
      runImage: { image: run13 },
      rebasable: { ok: true },
    } as unknown as ImageRecord;
    const report = await rebaseFleet(
      [{ kind: "rebase", record, to: { digest: app.manifest.digest, topLayer: app.manifest.digest } }],
      {
        runImage: run12,
      },
    );
    expect(report.outcomes).toEqual([
      {
        kind: "refused",
        ref: `oci:${dir}:py13`,
        why: expect.stringMatching(
          /cannot go onto run image .*: it needs GLIBC_2\.38 \(libc\.so\.6\), the run image has GLIBC_2\.36/,
        ),
      },
    ]);
    expect((await (await openImageSource(`oci:${dir}:py13`)).image()).manifest.digest).toBe(app.manifest.digest);
  },
  300_000,
);

test.runIf(process.arch === "x64")(
  "bookworm's python3.11 moves from the Debian 12 run image to Debian 13 and still answers there",
  async () => {
    const image = await pythonApp("py11", run12, PY11);
    const lines: string[] = [];
    const result = await rebaseImage({
      image,
      runImage: run13,
      output: `oci:${work}/moved:py11`,
      onOutput: (l) => lines.push(l),
    });
    expect(result.abi).toMatchObject({ kind: "checked", needsFrom: "layers", glibc: "2.41" });
    expect(lines.join("\n")).toContain("ABI check: the run image (glibc 2.41) provides what the app needs");
    const out: string[] = [];
    const app = await runApp({ image: `oci:${work}/moved:py11`, network: "none", onOutput: (l) => out.push(l) });
    expect(await app.exited).toBe(0);
    expect(out).toContain("answers 3.11.2");
  },
  300_000,
);
