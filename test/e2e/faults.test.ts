/**
 * Faults of `cnbkit build` that lost data, run for real with the bundled CLI and the
 * reference builder: a SIGKILL of the CLI's whole process group while npm ci runs (its build
 * container must stop with it), two builds of one app at once (one build cache), and a
 * flipped byte in a layer and in the SBOM layer of the output layout (the next build must
 * not reuse them). Each ends with the next plain build working and the image answering.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { isProcessAlive } from "../../builder-packager/src/cache/index.js";
import { openImageSource } from "../../builder-packager/src/oci/image-store.js";
import { OciLayout } from "../../builder-packager/src/oci/layout.js";
import { type CliResult, cliSession, fixtureApp, getFromImage, ROOT, runCli } from "./support.js";

const HELLO = join(ROOT, "examples/apps/node-hello");
const ANSWER = /^200 Hello from node-hello on Node v24\.21\.0, up /;
const e2e = cliSession("faults");

/** The bundled CLI in a process group of its own, as a terminal runs it (see runCli). */
function runGroup(
  args: string[],
  onLine?: (line: string, pid: number) => "kill" | undefined,
): Promise<CliResult & { pid: number }> {
  return runCli(e2e.cli, args, onLine, { group: true });
}

function buildArgs(app: string, output: string, cache: string): string[] {
  return ["build", app, "--builder", e2e.builder, "--output", output, "--cache-dir", cache, ...e2e.ca];
}

function builtDigest(r: CliResult): string | undefined {
  return /Successfully built .* \((sha256:[0-9a-f]{64})\)/.exec(r.stdout)?.[1];
}

/** Host pids of the containers under the runc state roots a (dead) cnbkit process `pid` made. */
function containerPids(pid: number): number[] {
  const roots = readdirSync(tmpdir())
    .filter((n) => n.startsWith(`cnbkit-runc-${pid}-`))
    .map((n) => join(tmpdir(), n));
  return roots.flatMap((root) => {
    const ids = spawnSync("runc", ["--root", root, "list", "-q"], { encoding: "utf8" }).stdout.split("\n");
    return ids.filter(Boolean).map((id) => {
      const s = spawnSync("runc", ["--root", root, "state", id], { encoding: "utf8" });
      return s.status === 0 ? (JSON.parse(s.stdout).pid as number) : 0;
    });
  });
}

async function flipByte(path: string): Promise<void> {
  const f = await open(path, "r+");
  const b = Buffer.alloc(1);
  const at = 100;
  await f.read(b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0xff;
  await f.write(b, 0, 1, at);
  await f.close();
}

describe("cnbkit build under faults", () => {
  test("a SIGKILL of the CLI's process group during npm ci stops the build container with it", async () => {
    const app = await fixtureApp("hello-group-kill", {}, HELLO);
    const out = join(e2e.work, "group-kill");
    const cache = join(e2e.work, "group-kill-cache");
    let containers: number[] = [];
    let killedAt = 0;
    const killed = await runGroup(buildArgs(app, `oci:${out}:latest`, cache), (l, pid) => {
      if (!/Running npm ci/.test(l) || killedAt) return undefined;
      containers = containerPids(pid);
      killedAt = Date.now();
      return "kill";
    });
    expect(killed.signal).toBe("SIGKILL");
    expect(containers).toHaveLength(1);
    // The build container (and everything in it: npm) is not running any more.
    const deadline = Date.now() + 5_000;
    let alive = containers.filter((p) => p > 0 && isProcessAlive(p));
    while (alive.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      alive = containers.filter((p) => p > 0 && isProcessAlive(p));
    }
    console.log(`containers of the killed build alive ${Date.now() - killedAt} ms after the kill: ${alive.length}`);
    expect(alive).toEqual([]);
    expect(existsSync(join(out, "index.json"))).toBe(false);

    // The next plain build, started at once, works and answers.
    const again = await runGroup(buildArgs(app, `oci:${out}:latest`, cache));
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(await getFromImage(`oci:${out}:latest`)).toMatch(ANSWER);
    await rm(app, { recursive: true, force: true });
  }, 600_000);

  test("two builds of one app at once: the second waits for the build cache, both succeed, nothing is lost", async () => {
    const app = await fixtureApp("hello-twice", {}, HELLO);
    const out = join(e2e.work, "twice");
    const cache = join(e2e.work, "twice-cache");
    const [a, b] = await Promise.all([
      runGroup(buildArgs(app, `oci:${out}:a`, cache)),
      runGroup(buildArgs(app, `oci:${out}:b`, cache)),
    ]);
    for (const r of [a, b]) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/Failed to export cache/);
    }
    const waited = [a, b].filter((r) => /Waiting for another build using the build cache/.test(r.stdout));
    expect(waited).toHaveLength(1);
    // Both tags are in the one layout, and the cache the second build left is whole: a third
    // build restores from it.
    expect(await (await OciLayout.open(out)).tags()).toEqual(["a", "b"]);
    const third = await runGroup(buildArgs(app, `oci:${out}:a`, cache));
    expect(third.code).toBe(0);
    expect(third.stdout).not.toMatch(/Failed to (export|restore) cache/);
    expect(third.stdout).toMatch(/Reusing|Restoring/);
    expect(await getFromImage(`oci:${out}:b`)).toMatch(ANSWER);
    await rm(app, { recursive: true, force: true });
  }, 900_000);

  test("a flipped byte in an app layer and in the SBOM layer: the next build does not reuse them", async () => {
    const app = await fixtureApp("hello-flip", {}, HELLO);
    const out = join(e2e.work, "flip");
    const cache = join(e2e.work, "flip-cache");
    const ref = `oci:${out}:latest`;
    const first = await runGroup(buildArgs(app, ref, cache));
    expect(first.code).toBe(0);
    const layout = await OciLayout.open(out);
    const { manifest, config } = await (await openImageSource(ref)).image();
    const meta = JSON.parse(config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}");
    const layerOf = (diffId: string) =>
      manifest.manifest.layers[config.rootfs.diff_ids.indexOf(diffId as `sha256:${string}`)]!.digest;
    const bpLayers = (meta.buildpacks as { layers?: Record<string, { sha: string }> }[]).flatMap((bp) =>
      Object.values(bp.layers ?? {}).map((l) => l.sha),
    );
    const appLayer = layerOf(bpLayers[0]!);
    const sbomLayer = layerOf(meta.sbom.sha);
    await flipByte(layout.blobPath(appLayer));
    await flipByte(layout.blobPath(sbomLayer));

    const next = await runGroup(buildArgs(app, ref, cache));
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(new RegExp(`warning: ${out}: blob (${appLayer}|${sbomLayer}) was corrupt`));
    const s = spawnSync("skopeo", ["inspect", ref], { encoding: "utf8" });
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).Digest).toBe(builtDigest(next));
    const { manifest: m2 } = await (await openImageSource(ref, { onWarning: (l) => expect.fail(l) })).image();
    for (const l of [m2.manifest.config, ...m2.manifest.layers]) expect(await layout.checkBlob(l.digest)).toBe("ok");
    expect(await getFromImage(ref)).toMatch(ANSWER);
    // And the build after that reuses layers again, with no warning.
    const after = await runGroup(buildArgs(app, ref, cache));
    expect(after.code).toBe(0);
    expect(after.stderr).toBe("");
    expect(after.stdout).toMatch(/Reusing layer/);
    await rm(app, { recursive: true, force: true });
  }, 900_000);
});
