/**
 * cnbkit as the extender of the build image: after the detector has run the extensions'
 * `bin/generate`, each build.Dockerfile (in group.toml's `[[group-extensions]]` order) is
 * applied to the builder's rootfs view, so the builder phase's buildpacks run on the
 * extended build image. RUN lines run in a runc container as the Dockerfile's USER (root
 * after `USER root`), with the host's network and the proxy settings `cnbkit base extend`
 * uses, and see the spec's build args (`base_image`, `build_id`, `user_id`, `group_id`) and
 * extend-config.toml's `[[build.args]]` as their environment, as Docker passes ARGs to RUN.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { buildpackDirName, parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { type ContainerNetwork, proxyEnv, runContainer } from "../container/index.js";
import { type ExtensionDockerfile, parseExtensionDockerfile, runStepEnv } from "./dockerfile.js";

/** Where the build runs and who the CNB user is. */
export interface ApplyBuildOptions {
  /** The builder's rootfs view (its /layers holds group.toml and generated/). */
  rootfs: string;
  /** The builder image's name, for `base_image`. */
  builderRef: string;
  uid: number;
  gid: number;
  say: (line: string) => void;
  network?: ContainerNetwork;
  signal?: AbortSignal;
}

/** The extensions of the detected group, in order (group.toml `[[group-extensions]]`). */
export async function groupExtensions(layersDir: string): Promise<{ id: string; version: string }[]> {
  const text = await readFile(join(layersDir, "group.toml"), "utf8").catch(() => "");
  if (!text) return [];
  const doc = parseToml(text, "group.toml");
  const list = Array.isArray(doc["group-extensions"]) ? (doc["group-extensions"] as TomlTable[]) : [];
  return list.map((e) => ({ id: String(e.id), version: String(e.version ?? "") }));
}

/**
 * One extension's generated Dockerfile of `kind`, or undefined: Platform API 0.13+ puts it at
 * `generated/<id>/<kind>.Dockerfile`, earlier ones at `generated/<kind>/<id>/Dockerfile`.
 */
export async function generatedDockerfile(
  layersDir: string,
  id: string,
  kind: "build" | "run",
): Promise<ExtensionDockerfile | undefined> {
  const dir = buildpackDirName(id);
  for (const rel of [`generated/${dir}/${kind}.Dockerfile`, `generated/${kind}/${dir}/Dockerfile`]) {
    const text = await readFile(join(layersDir, rel), "utf8").catch(() => undefined);
    if (text !== undefined) return parseExtensionDockerfile(text, `extension ${id}: ${kind}.Dockerfile`);
  }
  return undefined;
}

/** extend-config.toml's `[[build.args]]` (or `[[run.args]]`) as name → value. */
export async function extendConfigArgs(
  layersDir: string,
  id: string,
  kind: "build" | "run",
): Promise<Record<string, string>> {
  const dir = buildpackDirName(id);
  const args: Record<string, string> = {};
  for (const rel of [`generated/${dir}/extend-config.toml`, `generated/${kind}/${dir}/extend-config.toml`]) {
    const text = await readFile(join(layersDir, rel), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const section = parseToml(text, rel)[kind] as TomlTable | undefined;
    const list = Array.isArray(section?.args) ? (section.args as TomlTable[]) : [];
    for (const a of list) if (typeof a.name === "string") args[a.name] = String(a.value ?? "");
    break;
  }
  return args;
}

/** The uid:gid a RUN step runs as: root, the CNB user (no USER), or numbers (after the args are put in). */
export function stepUser(user: string, args: Record<string, string>, cnb: { uid: number; gid: number }, where: string) {
  const expanded = user.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, n: string) => args[n] ?? "");
  if (expanded === "") return cnb;
  const [u = "", g] = expanded.split(":");
  if (u === "root" || u === "0") return { uid: 0, gid: g !== undefined && /^\d+$/.test(g) ? Number(g) : 0 };
  if (/^\d+$/.test(u)) return { uid: Number(u), gid: g !== undefined && /^\d+$/.test(g) ? Number(g) : cnb.gid };
  throw new CnbError(
    `${where}: USER "${user}" is not applied by cnbkit; use root, a uid[:gid] or \${user_id}:\${group_id}`,
  );
}

/**
 * Applies every build.Dockerfile the detector generated; returns the ids of the extensions
 * applied. A RUN that fails is one line naming the extension and the command.
 */
export async function applyBuildExtensions(o: ApplyBuildOptions): Promise<string[]> {
  const layers = join(o.rootfs, "layers");
  const applied: string[] = [];
  for (const ext of await groupExtensions(layers)) {
    const dockerfile = await generatedDockerfile(layers, ext.id, "build");
    if (!dockerfile) continue;
    const where = `extension ${ext.id}: build.Dockerfile`;
    if (dockerfile.from !== undefined)
      throw new CnbError(
        `${where}: FROM ${dockerfile.from} would replace the build image; a build.Dockerfile must be FROM \${base_image}`,
      );
    const args = {
      base_image: o.builderRef,
      build_id: randomUUID(),
      user_id: String(o.uid),
      group_id: String(o.gid),
      ...(await extendConfigArgs(layers, ext.id, "build")),
    };
    o.say(`Extending the build image with ${ext.id}`);
    await runDockerfileSteps({
      rootfs: o.rootfs,
      dockerfile,
      args,
      cnb: { uid: o.uid, gid: o.gid },
      where,
      say: o.say,
      network: o.network ?? "host",
      ...(o.signal ? { signal: o.signal } : {}),
    });
    applied.push(ext.id);
  }
  return applied;
}

/** What {@link runDockerfileSteps} runs: one Dockerfile's RUN lines over `rootfs`. */
export interface DockerfileRun {
  rootfs: string;
  dockerfile: ExtensionDockerfile;
  /** The ARG values the platform gives (spec build args and extend-config.toml's). */
  args: Record<string, string>;
  /** Who a RUN with no USER before it runs as. */
  cnb: { uid: number; gid: number };
  /** Names the Dockerfile in messages (`extension acme/apt: run.Dockerfile`). */
  where: string;
  say: (line: string) => void;
  network: ContainerNetwork;
  signal?: AbortSignal;
}

/**
 * Runs a Dockerfile's RUN lines in order, each in a runc container over `rootfs` as its USER,
 * with the ARGs in force as its environment and the host's proxy settings (the Debian mirror
 * is reached as `cnbkit base extend` reaches it). A RUN that fails is one line naming the
 * Dockerfile, the command and its last error line. Shared by the build and run image extenders.
 */
export async function runDockerfileSteps(r: DockerfileRun): Promise<void> {
  for (const [i, step] of r.dockerfile.steps.entries()) {
    if (step.kind !== "run") continue;
    r.say(`  RUN ${step.command}`);
    const env = Object.entries(runStepEnv(r.dockerfile, i, r.args)).map(([k, v]) => `${k}=${v}`);
    let last = "";
    const status = await runContainer({
      rootfs: r.rootfs,
      args: ["/bin/sh", "-c", step.command],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", ...proxyEnv(), ...env],
      user: stepUser(step.user, r.args, r.cnb, r.where),
      network: r.network,
      onStdout: (l) => r.say(`    ${l}`),
      onStderr: (l) => {
        last = l;
        r.say(`    ${l}`);
      },
      ...(r.signal ? { signal: r.signal } : {}),
    });
    if (status !== 0) {
      throw new CnbError(`${r.where}: RUN ${step.command} failed (exit status ${status})${last ? `: ${last}` : ""}`);
    }
  }
}
