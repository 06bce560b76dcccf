/**
 * Signed app images, end to end: `cnbkit build --sign-key` with the reference builder and
 * the real lifecycle writes a Node.js app to an OCI layout and (`--tag`) to a loopback
 * registry, each sealed before its tag moves. The real cosign then verifies the signature,
 * the SLSA provenance and the CycloneDX SBOMs in both places; `cnbkit verify` checks the
 * same with a policy; the image runs and answers. The private key and its password are in
 * no layer and not in the build container's environment. A registry that refuses the
 * `.sig` tag fails the build in one line and leaves the tag where it was; a signed rebase
 * attests provenance naming the previous image and both run images.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  copyImage,
  imageConfig,
  OciLayout,
  openImageSink,
  openImageSource,
  writeLayer,
} from "../../builder-packager/src/oci/index.js";
import {
  startRefusingProxy,
  startRegistry,
  type TestRegistry,
  type TestServer,
} from "../../builder-packager/src/oci/test-registry.js";
import { cosign, cosignKeyPair } from "../../builder-packager/src/supply-chain/test-cosign.js";
import { BASE_LAYOUT, cliSession, fixtureApp, getFromImage, runCli } from "./support.js";

const e2e = cliSession("signed");
const PASSWORD = "s3cret-signing-password";
const REMOTE = "https://github.com/acme/signed-hello.git";

// The build script records the environment buildpacks run with; the server shows it.
const FILES = {
  "package.json": JSON.stringify({
    name: "signed-hello",
    version: "1.0.0",
    private: true,
    scripts: { build: "node record-env.js", start: "node server.js" },
  }),
  "record-env.js": `require("node:fs").writeFileSync("build-env.json", JSON.stringify(Object.keys(process.env).sort()));\n`,
  "server.js": `const http = require("node:http");
const env = require("node:fs").readFileSync(__dirname + "/build-env.json", "utf8");
http.createServer((_q, r) => r.end("signed hello " + env)).listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");
`,
};

let registry: TestRegistry;
let refusing: TestServer;
let app = "";
let keys: { key: string; pub: string };
const VERIFY = ["--insecure-ignore-tlog", "--allow-insecure-registry"];

/** The provenance statement `cosign verify-attestation` verified and handed over for `ref`. */
async function provenanceOf(ref: string) {
  const att = await cosign(["verify-attestation", "--key", keys.pub, "--type", "slsaprovenance1", ...VERIFY, ref]);
  expect(att.code, att.stderr).toBe(0);
  const envelope = JSON.parse(att.stdout.trim().split("\n")[0]!) as { payload: string };
  return JSON.parse(Buffer.from(envelope.payload, "base64").toString()) as {
    subject: { digest: { sha256: string } }[];
    predicate: {
      buildDefinition: {
        buildType: string;
        resolvedDependencies: { name: string; uri?: string; digest?: Record<string, string> }[];
      };
    };
  };
}

/** The bundled CLI with the key's password in its environment, as a CI job sets it. */
function cli(args: string[]) {
  return runCli(e2e.cli, args, undefined, { env: { COSIGN_PASSWORD: PASSWORD } });
}

/** Every layer of `image`, as the tar entries' text, searched for `needles`; returns the ones found. */
async function foundInLayers(image: string, needles: string[]): Promise<string[]> {
  const src = await openImageSource(image);
  const { manifest } = await src.image();
  const found = new Set<string>();
  for (const layer of manifest.manifest.layers) {
    const extract = tar.extract();
    const scan = (async () => {
      for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString("latin1");
        for (const n of needles) if (text.includes(n)) found.add(n);
      }
    })();
    const blob = await src.blob(layer.digest);
    blob.pipe(createGunzip()).pipe(extract);
    await scan;
  }
  return [...found];
}

beforeAll(async () => {
  registry = await startRegistry();
  // As a registry with immutable or restricted tags: cosign's signature tags are refused.
  refusing = await startRefusingProxy(registry.host, (req) =>
    req.method === "PUT" && /\/manifests\/sha256-[0-9a-f]{64}\.sig$/.test(req.url ?? "")
      ? { status: 403, code: "DENIED", message: "tags matching sha256-*.sig are not allowed" }
      : undefined,
  );
  keys = await cosignKeyPair(e2e.work, PASSWORD);
  app = await fixtureApp("signed-hello", FILES);
  const git = (...a: string[]) =>
    execFileSync("git", ["-C", app, "-c", "user.name=t", "-c", "user.email=t@example.com", ...a], { stdio: "pipe" });
  git("init", "-q");
  git("remote", "add", "origin", REMOTE);
  git("add", ".");
  git("commit", "-qm", "signed hello");
}, 600_000);

afterAll(async () => {
  await refusing?.stop();
  await registry?.stop();
  if (app) await rm(app, { recursive: true, force: true });
});

describe.sequential("cnbkit build --sign-key", () => {
  let layoutDir = "";
  let regRef = "";
  let digest = "";

  test("seals the image in a layout and a registry; cosign verifies both, and the app answers", async () => {
    layoutDir = join(e2e.work, "app");
    regRef = `${registry.host}/acme/signed-hello:1`;
    const r = await cli([
      "build",
      app,
      "--builder",
      e2e.builder,
      "--output",
      `oci:${layoutDir}:latest`,
      "--tag",
      regRef,
      "--sign-key",
      keys.key,
      ...e2e.ca,
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^Signed oci:.*\(ecdsa-p256\) and attested its provenance and \d+ SBOM document\(s\)/m);
    digest = /Successfully built .* \((sha256:[0-9a-f]{64})\)/.exec(r.stdout)![1]!;

    for (const where of [["--local-image", layoutDir], [regRef]]) {
      const sig = await cosign(["verify", "--key", keys.pub, ...VERIFY, ...where]);
      expect(sig.code, sig.stderr).toBe(0);
      expect(sig.stdout).toContain(digest);
      for (const type of ["slsaprovenance1", "cyclonedx", "spdxjson"]) {
        const att = await cosign(["verify-attestation", "--key", keys.pub, "--type", type, ...VERIFY, ...where]);
        expect(att.code, `${type} ${where.join(" ")}: ${att.stderr}`).toBe(0);
      }
    }

    // What the provenance says, as cosign hands it over.
    const stmt = await provenanceOf(regRef);
    expect(stmt.subject[0]!.digest.sha256).toBe(digest.slice(7));
    const deps = Object.fromEntries(stmt.predicate.buildDefinition.resolvedDependencies.map((d) => [d.name, d]));
    const head = execFileSync("git", ["-C", app, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    expect(deps.source).toMatchObject({ uri: `git+${REMOTE}`, digest: { gitCommit: head } });
    expect(deps.builder?.digest?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(deps["buildpack:cnbkit/nodejs"]?.digest?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(deps["run-image"]?.digest?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(deps.lifecycle?.uri).toBe("pkg:github/buildpacks/lifecycle@v0.21.17");

    const verified = await cli([
      "verify",
      regRef,
      "--key",
      keys.pub,
      "--builder",
      e2e.builder,
      "--buildpack",
      "cnbkit/nodejs",
      "--source",
      "git@github.com:acme/signed-hello.git",
    ]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`Verified ${regRef} (${digest})`);
    const wrongSource = await cli(["verify", regRef, "--key", keys.pub, "--source", "https://github.com/evil/x"]);
    expect(wrongSource.code).not.toBe(0);
    expect(wrongSource.stderr.trim().split("\n")[0]).toMatch(/^error: .* was built from https:\/\/github\.com\/acme/);

    // `cnbkit sign` adds a signature to what the image has (a second key's, a re-sign).
    const signed = await cli(["sign", regRef, "--key", keys.key]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain(
      `Signed ${regRef} (${digest}) with ecdsa-p256: 2 signature(s) in ${registry.host}/acme/signed-hello`,
    );
    expect((await cosign(["verify", "--key", keys.pub, ...VERIFY, regRef])).code).toBe(0);
    const inspected = await cli(["inspect", regRef]);
    expect(inspected.stdout).toMatch(/^Signatures: 2$/m);
    expect(inspected.stdout).toMatch(/^ {2}https:\/\/slsa\.dev\/provenance\/v1 \(1\)$/m);

    const answer = await getFromImage(`oci:${layoutDir}:latest`);
    expect(answer).toMatch(/^200 signed hello \[/);
    const buildEnv = JSON.parse(answer.slice("200 signed hello ".length)) as string[];
    expect(buildEnv).toContain("CNB_STACK_ID"); // the build container's environment, as buildpacks saw it
    expect(buildEnv).not.toContain("COSIGN_PASSWORD");
  }, 900_000);

  test("neither the key nor its password is in any layer", async () => {
    const pem = await readFile(keys.key, "utf8");
    const body = pem.split("\n").filter((l) => l && !l.startsWith("-----"))[1]!; // a line of the key's body
    const found = await foundInLayers(`oci:${layoutDir}:latest`, [PASSWORD, body, "COSIGN_PASSWORD"]);
    expect(found).toEqual([]);
  }, 300_000);

  test("a wrong password, a missing key and a key cosign can't use stop the build before it starts", async () => {
    const out = join(e2e.work, "never-written");
    const k1 = join(e2e.work, "k1.pem");
    const { privateKey } = (await import("node:crypto")).generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    await writeFile(k1, privateKey.export({ type: "pkcs8", format: "pem" }));
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        keys.key,
        { COSIGN_PASSWORD: "not it" },
        /^error: --sign-key .*cosign\.key: wrong password \(COSIGN_PASSWORD does not decrypt it\)$/,
      ],
      [join(e2e.work, "missing.key"), {}, /^error: --sign-key .*missing\.key does not exist$/],
      [k1, {}, /^error: --sign-key .*k1\.pem is an ECDSA secp256k1 key, which cosign signatures do not use$/],
    ];
    for (const [key, env, message] of cases) {
      const r = await runCli(
        e2e.cli,
        ["build", app, "--builder", e2e.builder, "--output", `oci:${out}`, "--sign-key", key],
        undefined,
        {
          env: { COSIGN_PASSWORD: PASSWORD, ...env },
        },
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split("\n")[0]).toMatch(message);
      expect(r.stdout).not.toMatch(/===> DETECTING/); // no build ran
    }
    expect(existsSync(out)).toBe(false);
  });

  test("a registry that refuses the .sig tag fails the build in one line; the tag stays", async () => {
    await writeFile(join(app, "changed.txt"), "a change, so a new digest\n");
    const viaProxy = `${refusing.host}/acme/signed-hello:1`;
    const r = await cli([
      "build",
      app,
      "--builder",
      e2e.builder,
      "--output",
      viaProxy,
      "--sign-key",
      keys.key,
      ...e2e.ca,
    ]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(
      /^error: registry 127\.0\.0\.1:\d+ refused acme\/signed-hello:sha256-[0-9a-f]{64}\.sig \(DENIED: tags matching sha256-\*\.sig are not allowed\)$/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const still = await (await openImageSource(regRef)).manifest();
    expect(still.digest).toBe(digest);
  }, 900_000);

  test("a signed rebase attests the previous image and both run images", async () => {
    // A patched run image: the builder's run image with one more layer.
    const run = await (await openImageSource(`oci:${BASE_LAYOUT}:run`)).image();
    const patched = join(e2e.work, "run-patched");
    await copyImage(await openImageSource(`oci:${BASE_LAYOUT}:run`), await openImageSink(`oci:${patched}:run`));
    const layout = await OciLayout.create(patched);
    const data = Buffer.from("patched\n");
    const extra = await writeLayer([{ type: "file", path: "etc/patched", size: data.length, data }], layout.blobDir);
    await layout.writeImage({
      config: imageConfig({
        architecture: run.config.architecture,
        config: run.config.config ?? {},
        diffIds: [...run.config.rootfs.diff_ids, extra.diffId],
      }),
      layers: [...run.manifest.manifest.layers, extra],
      tag: "run",
    });
    const r = await cli(["rebase", regRef, "--run-image", `oci:${patched}:run`, "--sign-key", keys.key]);
    expect(r.code, r.stderr).toBe(0);
    const after = (await (await openImageSource(regRef)).manifest()).digest;
    expect(after).not.toBe(digest);
    const sig = await cosign(["verify", "--key", keys.pub, ...VERIFY, regRef]);
    expect(sig.code, sig.stderr).toBe(0);
    const stmt = await provenanceOf(regRef);
    expect(stmt.predicate.buildDefinition.buildType).toBe("urn:cnbkit:buildtype:cnb-rebase:v1");
    const names = stmt.predicate.buildDefinition.resolvedDependencies.map((d) => d.name);
    expect(names).toEqual(["previous-image", "previous-run-image", "run-image"]);
    expect(stmt.predicate.buildDefinition.resolvedDependencies[0]!.digest).toEqual({ sha256: digest.slice(7) });
  }, 600_000);
});
