/**
 * Tekton Pipelines' images for the cluster suite, made here instead of pulled: the binaries
 * come from scripts/fetch-tekton.sh (built from the Go module, cached by version), and each
 * becomes an OCI image that cnbkit's oci stage writes, in the shape `ko` gives Tekton's release:
 * the binary at /ko-app/<name> as the entrypoint, its kodata at /var/run/ko ($KO_DATA_PATH), user
 * 65532, over a base of passwd, group, /tmp and a CA bundle (the lifecycle image's base, which
 * stands in for distroless/static as Tekton's cgr.dev/chainguard/static does). Each image is
 * pushed to the cluster's loopback registry and named by digest, as `ko resolve` names them.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { BASE_ENV, baseEntries, readCaBundle } from "../../builder-packager/src/lifecycle-image/index.js";
import {
  imageConfig,
  type LayerEntry,
  NORMALIZED_CREATED,
  OciLayout,
  writeLayer,
} from "../../builder-packager/src/oci/index.js";
import { ROOT } from "../e2e/support.js";
import type { Cluster } from "./support.js";

/** The Tekton release the suite builds (`CNBKIT_TEKTON_VERSION` in scripts/fetch-tekton.sh). */
export const TEKTON_VERSION = "1.6.0";

/** The commands built, named as in Tekton's `ko://github.com/tektoncd/pipeline/cmd/<name>` references. */
export const TEKTON_COMMANDS = [
  "controller",
  "webhook",
  "entrypoint",
  "nop",
  "workingdirinit",
  "sidecarlogresults",
] as const;

/** One of {@link TEKTON_COMMANDS}. */
export type TektonCommand = (typeof TEKTON_COMMANDS)[number];

/** What scripts/fetch-tekton.sh left in the cache, and how long it took. */
export interface TektonBuild {
  /** `~/.cache/cnbkit/tekton/v<version>`: bin/, kodata/ and Tekton's config/ YAML. */
  readonly dir: string;
  /** Wall time of the script: a Go build when cold, a look at the cache when warm. */
  readonly ms: number;
}

/** Runs scripts/fetch-tekton.sh (a Go build the first time, then the cache); throws with its output when it fails. */
export function buildTekton(): TektonBuild {
  const t0 = Date.now();
  const r = spawnSync("nice", ["-n", "10", "bash", join(ROOT, "scripts/fetch-tekton.sh")], {
    env: { ...process.env, CNBKIT_TEKTON_VERSION: TEKTON_VERSION },
    encoding: "utf8",
    timeout: 3_600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`scripts/fetch-tekton.sh failed (${r.status}):\n${r.stderr.slice(-4000)}`);
  return { dir: r.stdout.trim().split("\n").pop() ?? "", ms: Date.now() - t0 };
}

/** Every file under `dir` as layer entries under `into` (relative paths, modes kept). */
async function treeEntries(dir: string, into: string): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    const at = `${into}/${relative(dir, path)}`;
    if (e.isDirectory()) out.push({ type: "dir", path: at, mode: 0o755 });
    else if (e.isFile())
      out.push({ type: "file", path: at, size: (await stat(path)).size, sourcePath: path, mode: 0o644 });
  }
  return out;
}

/**
 * Writes one image per command into an OCI layout at `layoutDir`, tagged by command name.
 * The base layer is shared: one blob, written once.
 */
export async function writeTektonImages(build: TektonBuild, layoutDir: string): Promise<void> {
  const layout = await OciLayout.create(layoutDir);
  const base = await writeLayer(baseEntries(await readCaBundle("/etc/ssl/certs/ca-certificates.crt")), layout.blobDir);
  for (const name of TEKTON_COMMANDS) {
    const bin = join(build.dir, "bin", name);
    const kodata = join(build.dir, "kodata", name);
    const entries: LayerEntry[] = [
      { type: "file", path: `ko-app/${name}`, size: (await stat(bin)).size, sourcePath: bin, mode: 0o755 },
      { type: "dir", path: "var/run/ko", mode: 0o755 },
      ...(existsSync(kodata) ? await treeEntries(kodata, "var/run/ko") : []),
    ];
    const app = await writeLayer(entries, layout.blobDir);
    const config = imageConfig({
      architecture: "amd64",
      diffIds: [base.diffId, app.diffId],
      config: {
        User: "65532",
        Entrypoint: [`/ko-app/${name}`],
        Env: [...BASE_ENV, "KO_DATA_PATH=/var/run/ko"],
      },
      history: [
        { created: NORMALIZED_CREATED, created_by: "cnbkit: passwd, group, tmp and CA bundle" },
        { created: NORMALIZED_CREATED, created_by: `tekton pipeline v${TEKTON_VERSION} cmd/${name}` },
      ],
    });
    await layout.tag(await layout.writeImage({ config, layers: [base, app] }), name);
  }
}

/**
 * Pushes each command's image from `layoutDir` to `<registry>/tekton/<name>:v<version>` and
 * returns `<registry>/tekton/<name>@sha256:…` per command, the form Tekton's controller wants for
 * its step images (a tag-less reference; CRI-O refuses a tag with a digest).
 */
export async function pushTektonImages(c: Cluster, layoutDir: string): Promise<Record<TektonCommand, string>> {
  const refs = {} as Record<TektonCommand, string>;
  for (const name of TEKTON_COMMANDS) {
    const repo = `${c.registry}/tekton/${name}`;
    const digestFile = join(layoutDir, `${name}.digest`);
    const r = spawnSync(
      "skopeo",
      [
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "--digestfile",
        digestFile,
        `oci:${layoutDir}:${name}`,
        `docker://${repo}:v${TEKTON_VERSION}`,
      ],
      { encoding: "utf8", timeout: 300_000 },
    );
    if (r.status !== 0) throw new Error(`skopeo copy of tekton ${name} to ${repo} failed: ${r.stderr}`);
    refs[name] = `${repo}@${(await readFile(digestFile, "utf8")).trim()}`;
  }
  return refs;
}
