import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { containerCommand, startHint } from "./container-command.js";

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "cnbkit-container-command-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A rootfs whose /cnb/process holds `types` (links to the launcher, as the exporter makes them). */
async function rootfs(name: string, types: string[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, "cnb/process"), { recursive: true });
  for (const t of types) await symlink("/cnb/lifecycle/launcher", join(dir, "cnb/process", t));
  return dir;
}

const launcherOnly = { Entrypoint: ["/cnb/lifecycle/launcher"] };

test("the default process is the image's Entrypoint", async () => {
  const dir = await rootfs("default", ["web"]);
  expect(await containerCommand({ image: "oci:x" }, dir, { Entrypoint: ["/cnb/process/web"] })).toEqual([
    "/cnb/process/web",
  ]);
  expect(await containerCommand({ image: "oci:x", process: "web", args: ["-v"] }, dir, {})).toEqual([
    "/cnb/process/web",
    "-v",
  ]);
});

/** The label the lifecycle writes, as a Node.js build by the cnbkit builder has it. */
function builtBy(...ids: string[]): Record<string, string> {
  const buildpacks = ids.map((id) => ({ id, version: "1.0.0" }));
  return { "io.buildpacks.build.metadata": JSON.stringify({ buildpacks, processes: [], launcher: {} }) };
}

test("a Node.js image with no process: the hint names Node.js's way to start, not Python's", async () => {
  const dir = await rootfs("none-node", []);
  const cfg = { ...launcherOnly, Labels: builtBy("cnbkit/ca-certificates", "cnbkit/nodejs", "cnbkit/procfile") };
  const err = await containerCommand({ image: "oci:x" }, dir, cfg).catch((e: Error & { hint?: string }) => e);
  expect((err as Error).message).toBe("image oci:x has no default process: its build found no start command");
  expect((err as { hint?: string }).hint).toBe(
    'Add a "start" script to package.json (cnbkit/nodejs), or add a Procfile with a web: line, and build again.',
  );
});

test("each cnbkit language buildpack gets its own hint; an unknown or missing label a Procfile one", async () => {
  expect(startHint(["cnbkit/python", "cnbkit/procfile"])).toBe(
    "Set BP_PYTHON_ENTRYPOINT (cnbkit/python), or add a Procfile with a web: line, and build again.",
  );
  expect(startHint(["cnbkit/java"])).toMatch(/^Build an executable jar .*\(cnbkit\/java\), or add a Procfile/);
  expect(startHint(["cnbkit/nodejs", "cnbkit/python"])).toMatch(/package\.json \(cnbkit\/nodejs\), or set BP_PYTHON/);
  expect(startHint(["acme/ruby"])).toBe("Add a Procfile with a web: line and build again.");
  const labels: Record<string, string>[] = [{}, { "io.buildpacks.build.metadata": "{not json" }];
  for (const Labels of labels) {
    const dir = await rootfs(`none-${Object.keys(Labels).length}`, []);
    const err = await containerCommand({ image: "oci:x" }, dir, { ...launcherOnly, Labels }).catch(
      (e: { hint?: string }) => e,
    );
    expect((err as { hint?: string }).hint).toBe("Add a Procfile with a web: line and build again.");
  }
});

test("an image with process types but no default one: the hint lists them", async () => {
  const dir = await rootfs("types", ["worker", "cron"]);
  const err = await containerCommand({ image: "oci:x" }, dir, launcherOnly).catch((e: { hint?: string }) => e);
  expect((err as { hint?: string }).hint).toBe("Pick one of its process types with --process (cron, worker).");
  // Arguments after the launcher are a command to run: allowed.
  expect(await containerCommand({ image: "oci:x", args: ["python", "-V"] }, dir, launcherOnly)).toEqual([
    "/cnb/lifecycle/launcher",
    "python",
    "-V",
  ]);
});

test("an unknown --process names the types there are", async () => {
  const dir = await rootfs("unknown", ["web"]);
  const err = await containerCommand({ image: "oci:x", process: "wbe" }, dir, {}).catch((e: Error) => e);
  expect((err as Error).message).toBe('image oci:x has no process type "wbe"');
  expect((err as { hint?: string }).hint).toBe("Its process types: web.");
});
