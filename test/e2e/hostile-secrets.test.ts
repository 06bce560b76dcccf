/**
 * The hostile-buildpack suite's secrets and hygiene part (issue 74): one inline buildpack in
 * the reference builder, told by the build env what to try. It copies a binding into a
 * launch+cache layer, writes a `--secret` value into a config file and into layer metadata
 * (which the image's labels carry), leaves a setuid file:
 * each build stops in one line naming the binding (or the file), the layer and the path, and
 * the output's earlier image and the build cache stay as they were. The same in a launch-only
 * layer (in the image alone: the check reads it from its directory, not its blob), with a
 * world-writable dir there named in a warning. It then looks for what
 * the CLI holds on this machine (a signing key, registry credentials, another app's build
 * cache, a file outside the app) and tries /cnb and the launcher, in the untrusted (phases)
 * path: the build passes and the buildpack's own lines say what it saw. With a registry cache
 * (--cache-image) the binding copied into a cache layer is caught before anything reaches
 * the registry: the cache image's tag and blobs are as the clean build left them.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";
import { RegistryClient } from "../../builder-packager/src/oci/index.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { type BuildOptions, buildApp } from "../../builder-packager/src/platform/index.js";
import { bundleCli, fixtureApp, referenceBuilder, runCli } from "./support.js";

const NPM_TOKEN = "npm_hostileToken0123456789";
const INDEX_URL = "https://ci:pypiPassw0rd-42@pypi.example.com/simple";

/** The inline buildpack: $HOSTILE_CASE says what it tries. */
const PROJECT_TOML = `[_]
schema-version = "0.2"

[[io.buildpacks.group]]
id = "acme/hostile"
  [io.buildpacks.group.script]
  api = "0.10"
  inline = """
set -e
L="$CNB_LAYERS_DIR/stolen"
mkdir -p "$L"
printf '[types]\\nlaunch = true\\ncache = true\\n' > "$L.toml"
case "$HOSTILE_CASE" in
clean) echo harmless > "$L/file" ;;
binding) cp /platform/bindings/npm/.npmrc "$L/npmrc" ;;
secret) printf '[global]\\nindex-url = %s\\n' "$(cat /platform/bindings/pypi/index-url)" > "$L/pip.conf" ;;
metadata) printf '[metadata]\nnote = "%s"\n' "$(cat /platform/bindings/pypi/index-url)" >> "$L.toml" ;;
setuid) printf '#!/bin/sh\\nid\\n' > "$L/run-as-owner"; chmod 4755 "$L/run-as-owner" ;;
launch-*)
  S="$CNB_LAYERS_DIR/shipped"
  mkdir -p "$S/bin"
  printf '[types]\\nlaunch = true\\n' > "$S.toml"
  case "$HOSTILE_CASE" in
  launch-binding) cp /platform/bindings/npm/.npmrc "$S/bin/npmrc" ;;
  launch-setuid) printf '#!/bin/sh\\nid\\n' > "$S/bin/run-as-owner"; chmod 6755 "$S/bin/run-as-owner" ;;
  launch-writable) mkdir -p "$S/drop"; chmod 0777 "$S/drop" ;;
  esac
  ;;
probe)
  echo harmless > "$L/file"
  for p in "$HOST_KEY:signing key" "$HOST_DOCKER_CONFIG:registry credentials" "$OTHER_CACHES:build caches" "$HOST_FILE:host file" /root/.docker/config.json:root-docker-config /cache:cache /layout-repo:layout-repo; do
    path="\${p%%:*}"; what="\${p#*:}"
    # A mount point another phase had is an empty dir here: what counts is what is in it.
    if [ -f "$path" ] || [ -n "$(ls -A "$path" 2>/dev/null)" ]; then echo "hostile: $what $path visible"; else echo "hostile: $what absent"; fi
  done
  echo "hostile: CNB_REGISTRY_AUTH=\${CNB_REGISTRY_AUTH:-unset}"
  # The creator runs buildpacks as its own user: its environ is readable by them.
  if grep -qs CNB_REGISTRY_AUTH /proc/[0-9]*/environ; then echo "hostile: CNB_REGISTRY_AUTH in a process's environ"; else echo "hostile: CNB_REGISTRY_AUTH in no process's environ"; fi
  for f in /cnb/lifecycle/launcher /cnb/lifecycle /cnb/order.toml /cnb/buildpacks; do
    if [ -w "$f" ]; then echo "hostile: $f writable"; else echo "hostile: $f not writable"; fi
  done
  echo "hostile: uid=$(id -u)"
  ;;
esac
"""
`;

let builder = "";
let work = "";
let app = "";
let registry: TestRegistry | undefined;

beforeAll(async () => {
  builder = await referenceBuilder();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-hostile-"));
  app = await fixtureApp("hostile", { "project.toml": PROJECT_TOML });
  const npm = join(work, "npm-binding");
  await mkdir(npm);
  await writeFile(join(npm, "type"), "npmrc");
  await writeFile(join(npm, ".npmrc"), `//registry.example.com/:_authToken=${NPM_TOKEN}\n`);
  await writeFile(join(work, "index-url"), `${INDEX_URL}\n`);
});
afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

async function build(hostileCase: string, opts: Partial<BuildOptions> = {}) {
  const lines: string[] = [];
  const t0 = Date.now();
  const r = await buildApp({
    builder,
    appDir: app,
    output: `oci:${join(work, "app")}:latest`,
    ...(opts.cacheImage ? {} : { cacheDir: join(work, "cache") }),
    bindings: [{ name: "npm", dir: join(work, "npm-binding") }],
    secrets: [{ id: "pypi", src: join(work, "index-url"), type: "pip" }],
    onOutput: (l) => lines.push(l),
    ...opts,
    env: { HOSTILE_CASE: hostileCase, ...opts.env },
  });
  return { ...r, text: lines.join("\n"), ms: Date.now() - t0 };
}

/** What the output and the cache hold, to see that a refused build changed neither. */
async function state(): Promise<{ index: string; cache: string[] }> {
  return {
    index: await readFile(join(work, "app", "index.json"), "utf8"),
    cache: (await readdir(join(work, "cache", "committed"))).sort(),
  };
}

/** The host paths the probe looks for: a signing key and a Docker config of the CLI's, other apps' caches, a host file. */
async function probeEnv(): Promise<Record<string, string>> {
  const key = join(work, "cosign.key");
  const docker = join(work, "docker", "config.json");
  await mkdir(join(work, "docker"), { recursive: true });
  await writeFile(key, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
  await writeFile(docker, '{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"}}}');
  return {
    HOST_KEY: key,
    HOST_DOCKER_CONFIG: docker,
    OTHER_CACHES: join(cnbkitCacheDir(), "build-cache"),
    HOST_FILE: join(work, "index-url"),
  };
}

/** The probe's own lines in a build's output. */
function probed(text: string): string[] {
  const seen = text
    .split("\n")
    .map((l) => l.replace(/^.*?hostile: /, "hostile: "))
    .filter((l) => l.startsWith("hostile: "));
  for (const l of seen) console.log(l);
  return seen;
}

describe.sequential("hostile buildpacks: secrets and launch layers", () => {
  test("a clean build first: its image and cache are what the refused builds must leave", {
    timeout: 600_000,
  }, async () => {
    const r = await build("clean");
    expect(r.text).toMatch(/Checked \d+ new layers \(\d+ MB\) for 4 secret values and setuid files in/);
    // The lifecycle's layers as the spec has them: the CNB user owns the layers and the app, no
    // world-writable entry (the hygiene check would have warned).
    expect(r.text.split("\n").filter((l) => l.startsWith("Warning: "))).toEqual([]);
    console.log(`hostile clean build: ${r.ms} ms`);
  });

  test.each([
    [
      "binding",
      /^binding "npm" \(its \.npmrc\) is in layer acme\/hostile:stolen \(image and cache\) at \/layers\/acme_hostile\/stolen\/npmrc: nothing was written/,
    ],
    [
      "secret",
      /^--secret pypi \(its index-url\) is in layer acme\/hostile:stolen \(image and cache\) at \/layers\/acme_hostile\/stolen\/pip\.conf: nothing was written/,
    ],
    [
      "metadata",
      /^--secret pypi \(its index-url\) is in the image config \(its labels\), put there as layer metadata or a process: nothing was written/,
    ],
    [
      "setuid",
      /^layer acme\/hostile:stolen \(image and cache\) has a setuid\/setgid file: \/layers\/acme_hostile\/stolen\/run-as-owner \(mode 4755\): nothing was written/,
    ],
    [
      "launch-binding",
      /^binding "npm" \(its \.npmrc\) is in layer acme\/hostile:shipped \(image\) at \/layers\/acme_hostile\/shipped\/bin\/npmrc: nothing was written/,
    ],
    [
      "launch-setuid",
      /^layer acme\/hostile:shipped \(image\) has a setuid\/setgid file: \/layers\/acme_hostile\/shipped\/bin\/run-as-owner \(mode 6755\): nothing was written/,
    ],
  ])(
    "%s: caught in one line, the output and the cache as they were",
    { timeout: 600_000 },
    async (hostileCase, line) => {
      const before = await state();
      const t0 = Date.now();
      const err = await build(hostileCase).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(line);
      expect(err?.message).not.toContain("\n");
      expect(await state()).toEqual(before);
      console.log(`hostile ${hostileCase}: ${err?.message} (${Date.now() - t0} ms)`);
    },
  );

  test("a world-writable dir in a launch-only layer is named in a warning, read from the layer's directory", {
    timeout: 600_000,
  }, async () => {
    const r = await build("launch-writable");
    expect(r.text).toMatch(
      /^Warning: layer acme\/hostile:shipped has world-writable entries: \/layers\/acme_hostile\/shipped\/drop$/m,
    );
    // The real exporter's tar was made again from the dir, byte for byte (dir-layer-scan.ts): the
    // launch-only layer's, and the launch-and-cache one's ("stolen") too when the cases before
    // this one did not leave it in the cache, so one or two.
    expect(r.text).toMatch(
      /^Checked \d+ new layers .* s, (1 read from its layer directory|2 read from their layer directories)$/m,
    );
  });

  test("cnbkit build --secret: the same catch, as the user sees it: one error line and a non-zero exit", {
    timeout: 600_000,
  }, async () => {
    const before = await state();
    const bundle = await bundleCli();
    try {
      const help = await runCli(bundle.path, ["build", "--help"]);
      expect(help.stdout).toContain("--secret id=<name>,src=<file>[,type=<type>]");
      const r = await runCli(bundle.path, [
        "build",
        app,
        "-B",
        builder,
        "-o",
        `oci:${join(work, "app")}:latest`,
        "--cache-dir",
        join(work, "cache"),
        "--secret",
        `id=pypi,src=${join(work, "index-url")},type=pip`,
        "--env",
        "HOSTILE_CASE=secret",
      ]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /^error: --secret pypi \(its index-url\) is in layer acme\/hostile:stolen \(image and cache\) at \/layers\/acme_hostile\/stolen\/pip\.conf: nothing was written/,
      );
      expect(await state()).toEqual(before);
    } finally {
      await bundle.remove();
    }
  });

  test("--cache-image: a binding in a cache layer is caught before the registry sees it; the cache image is as it was", {
    timeout: 600_000,
  }, async () => {
    registry = await startRegistry();
    const cacheImage = `${registry.host}/hostile-cache`;
    const output = `oci:${join(work, "app-ci")}:latest`;
    const clean = await build("clean", { cacheImage, output });
    expect(clean.text).toMatch(/^Saved the checked build cache as 127\.0\.0\.1:\d+\/hostile-cache:latest \(sha256:/m);
    const client = new RegistryClient(registry.host);
    const tagged = async () => (await client.headManifest("hostile-cache", "latest"))?.digest;
    const blobs = () => readdir(join(registry!.storage, "docker/registry/v2/blobs/sha256"), { recursive: true });
    const before = { tag: await tagged(), blobs: (await blobs()).sort() };
    expect(before.tag).toMatch(/^sha256:/);
    const t0 = Date.now();
    const err = await build("binding", { cacheImage, output }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^binding "npm" \(its \.npmrc\) is in layer acme\/hostile:stolen \(image and cache\) at \/layers\/acme_hostile\/stolen\/npmrc: nothing was written/,
    );
    expect({ tag: await tagged(), blobs: (await blobs()).sort() }).toEqual(before);
    console.log(`hostile binding with --cache-image: ${err?.message} (${Date.now() - t0} ms)`);
  });

  test("what the CLI holds on this machine and /cnb are out of reach of an untrusted builder's buildpack", {
    timeout: 600_000,
  }, async () => {
    const r = await build("probe", { phases: true, env: await probeEnv() });
    const seen = probed(r.text);
    expect(seen).toEqual([
      "hostile: signing key absent",
      "hostile: registry credentials absent",
      "hostile: build caches absent",
      "hostile: host file absent",
      "hostile: root-docker-config absent",
      "hostile: cache absent",
      "hostile: layout-repo absent",
      "hostile: CNB_REGISTRY_AUTH=unset",
      "hostile: CNB_REGISTRY_AUTH in no process's environ",
      "hostile: /cnb/lifecycle/launcher not writable",
      "hostile: /cnb/lifecycle not writable",
      "hostile: /cnb/order.toml not writable",
      "hostile: /cnb/buildpacks not writable",
      expect.stringMatching(/^hostile: uid=[1-9]\d*$/),
    ]);
  });

  test("the creator (a local, trusted builder) with --cache-image: this app's /cache and the layout repository are the buildpack's to see, nothing else of the host's, and no process holds registry credentials", {
    timeout: 600_000,
  }, async () => {
    registry ??= await startRegistry();
    const r = await build("probe", {
      cacheImage: `${registry.host}/hostile-cache`,
      output: `oci:${join(work, "app-ci")}:latest`,
      env: await probeEnv(),
    });
    expect(r.text).toMatch(/Running the lifecycle's creator|===> ANALYZING/);
    expect(probed(r.text)).toEqual([
      "hostile: signing key absent",
      "hostile: registry credentials absent",
      "hostile: build caches absent",
      "hostile: host file absent",
      "hostile: root-docker-config absent",
      "hostile: cache /cache visible",
      "hostile: layout-repo /layout-repo visible",
      "hostile: CNB_REGISTRY_AUTH=unset",
      "hostile: CNB_REGISTRY_AUTH in no process's environ",
      "hostile: /cnb/lifecycle/launcher not writable",
      "hostile: /cnb/lifecycle not writable",
      "hostile: /cnb/order.toml not writable",
      "hostile: /cnb/buildpacks not writable",
      expect.stringMatching(/^hostile: uid=[1-9]\d*$/),
    ]);
  });
});
