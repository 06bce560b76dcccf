/**
 * Images in the shape `ko` gives a Go project's release, written by cnbkit's oci stage from
 * binaries built here (scripts/fetch-tekton.sh, scripts/fetch-kpack.sh): each binary at
 * /ko-app/<name> as the entrypoint, its kodata (if any) at /var/run/ko ($KO_DATA_PATH), user
 * 65532, over a base of passwd, group, /tmp and a CA bundle (the lifecycle image's base, which
 * stands in for distroless/static). Pushed to the cluster's loopback registry and named by
 * digest, as `ko resolve` names them. Used for Tekton's and kpack's images.
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

/** What a scripts/fetch-*.sh left in the cache, and how long it took. */
export interface GoBuild {
  /** `~/.cache/cnbkit/<project>/v<version>`: bin/, config/ and (Tekton) kodata/. */
  readonly dir: string;
  /** Wall time of the script: a Go build when cold, a look at the cache when warm. */
  readonly ms: number;
}

/**
 * Runs `scripts/<script>` at nice 10 (a Go build the first time, then the cache) and returns the
 * directory it printed last; throws with the end of its output when it fails.
 */
export function runFetchScript(script: string, env: NodeJS.ProcessEnv): GoBuild {
  const t0 = Date.now();
  const r = spawnSync("nice", ["-n", "10", "bash", join(ROOT, "scripts", script)], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 3_600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`scripts/${script} failed (${r.status}):\n${r.stderr.slice(-4000)}`);
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

/** One ko-shaped image to write. */
export interface KoImage {
  /** The command's name: /ko-app/<name>, and the image's tag in the layout. */
  readonly name: string;
  /** The static binary. */
  readonly bin: string;
  /** The command's kodata/ directory, put at /var/run/ko when it exists. */
  readonly kodata?: string;
  /** The image history's `created_by` of the binary's layer (what was built, from where). */
  readonly createdBy: string;
}

/**
 * Writes one image per entry into an OCI layout at `layoutDir`, tagged by name. The base layer
 * is shared: one blob, written once.
 */
export async function writeKoImages(layoutDir: string, images: readonly KoImage[]): Promise<void> {
  const layout = await OciLayout.create(layoutDir);
  const base = await writeLayer(baseEntries(await readCaBundle("/etc/ssl/certs/ca-certificates.crt")), layout.blobDir);
  for (const { name, bin, kodata, createdBy } of images) {
    const entries: LayerEntry[] = [
      { type: "file", path: `ko-app/${name}`, size: (await stat(bin)).size, sourcePath: bin, mode: 0o755 },
      { type: "dir", path: "var/run/ko", mode: 0o755 },
      ...(kodata && existsSync(kodata) ? await treeEntries(kodata, "var/run/ko") : []),
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
        { created: NORMALIZED_CREATED, created_by: createdBy },
      ],
    });
    await layout.tag(await layout.writeImage({ config, layers: [base, app] }), name);
  }
}

/**
 * Pushes each named image from `layoutDir` to `<registry>/<project>/<name>:<tag>` and returns
 * `<registry>/<project>/<name>@sha256:…` per name: a tag-less reference, the form Tekton's
 * controller wants for its step images and `ko resolve` writes into a release.
 */
export async function pushKoImages<N extends string>(
  c: Cluster,
  layoutDir: string,
  names: readonly N[],
  project: string,
  tag: string,
): Promise<Record<N, string>> {
  const refs = {} as Record<N, string>;
  for (const name of names) {
    const repo = `${c.registry}/${project}/${name}`;
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
        `docker://${repo}:${tag}`,
      ],
      { encoding: "utf8", timeout: 300_000 },
    );
    if (r.status !== 0) throw new Error(`skopeo copy of ${project} ${name} to ${repo} failed: ${r.stderr}`);
    refs[name] = `${repo}@${(await readFile(digestFile, "utf8")).trim()}`;
  }
  return refs;
}
