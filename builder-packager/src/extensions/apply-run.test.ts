import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import type { ImageConfig } from "../oci/index.js";
import { checkFinalRunUser, dropAptCaches, runDockerfilesToApply, runImageUser } from "./apply-run.js";
import { parseExtensionDockerfile } from "./dockerfile.js";

let layers: string;

beforeEach(async () => {
  layers = await mkdtemp(join(tmpdir(), "cnbkit-ext-run-"));
  await writeFile(
    join(layers, "group.toml"),
    ["a", "b", "c"].map((x) => `[[group-extensions]]\nid = "acme/${x}"\nversion = "1"\n`).join("\n"),
  );
});

afterEach(async () => {
  await rm(layers, { recursive: true, force: true });
});

async function runDockerfile(id: string, text: string, name = "run.Dockerfile"): Promise<void> {
  await mkdir(join(layers, "generated", id), { recursive: true });
  await writeFile(join(layers, "generated", id, name), text);
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG syntax
const EXTEND = "ARG base_image\nFROM ${base_image}\nUSER root\nRUN echo hi\nUSER ${user_id}:${group_id}\n";

test("the run.Dockerfiles with RUN lines, in group order, from the last one that switches the run image on", async () => {
  expect(await runDockerfilesToApply(layers)).toEqual([]);
  // The generator renamed this one: a later run.Dockerfile switches the image.
  await runDockerfile("acme_a", EXTEND, "run.Dockerfile.ignore");
  await runDockerfile("acme_b", "FROM example.com/run:2\nUSER root\nRUN echo switched\nUSER 1000:1000\n");
  await runDockerfile("acme_c", EXTEND);
  expect((await runDockerfilesToApply(layers)).map((r) => r.id)).toEqual(["acme/b", "acme/c"]);
});

test("a switch with no RUN lines is not applied; the RUNs of the extensions before a switch are dropped", async () => {
  await runDockerfile("acme_a", EXTEND);
  await runDockerfile("acme_b", "FROM example.com/run:2\n");
  expect(await runDockerfilesToApply(layers)).toEqual([]);
});

test("user_id and group_id are the run image's User, else the CNB user's", () => {
  const config = (User?: string): ImageConfig => ({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [] },
    ...(User !== undefined ? { config: { User } } : {}),
  });
  expect(runImageUser(config("1002:1003"), { uid: 1000, gid: 1000 })).toEqual({ uid: 1002, gid: 1003 });
  expect(runImageUser(config(), { uid: 1000, gid: 1001 })).toEqual({ uid: 1000, gid: 1001 });
  expect(runImageUser(config("cnb"), { uid: 1000, gid: 1001 })).toEqual({ uid: 1000, gid: 1001 });
});

test("a run image left as root is one line naming the extension, as the lifecycle refuses it", () => {
  const args = { user_id: "1000", group_id: "1000" };
  const user = { uid: 1000, gid: 1000 };
  const list = (text: string) => [{ id: "acme/a", dockerfile: parseExtensionDockerfile(text, "t") }];
  expect(() => checkFinalRunUser(list(EXTEND), args, user)).not.toThrow();
  expect(() => checkFinalRunUser(list("FROM $base_image\nRUN true\n"), args, user)).not.toThrow();
  expect(() => checkFinalRunUser(list("FROM $base_image\nUSER root\nRUN true\n"), args, user)).toThrow(
    /^extension acme\/a: run\.Dockerfile: ends as USER root, so the app would run as root; end it with USER \$\{user_id\}:\$\{group_id\}$/,
  );
});

test("apt's per-run caches go (binary caches, downloaded .debs); the rest of /var/cache/apt stays", async () => {
  const apt = join(layers, "var/cache/apt");
  await mkdir(join(apt, "archives/partial"), { recursive: true });
  for (const f of ["pkgcache.bin", "srcpkgcache.bin", "archives/hello_2.10-5_amd64.deb", "archives/lock", "keep.conf"])
    await writeFile(join(apt, f), "x");
  await dropAptCaches(layers);
  expect((await readdir(apt)).sort()).toEqual(["archives", "keep.conf"]);
  expect((await readdir(join(apt, "archives"))).sort()).toEqual(["lock", "partial"]);
  await dropAptCaches(join(layers, "no-such-root"));
});
