import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildpack } from "@cnbkit/framework";
import { runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { testBuildpackToml } from "../testing/local-inventory.js";
import { makeTestCa } from "../testing/test-ca.js";
import { buildTrust } from "./build-trust.js";
import { buildJdk } from "./install-jdk.js";

// The local Debian JDK 17 (file://), which makes the store as the build's JDK does; kept by
// reference in a layer cache under `work`, so it is installed once for the file's builds.
let toml: string;
let work: string;
beforeAll(async () => {
  toml = await testBuildpackToml({ jre: "17", jdk: true });
  work = await mkdtemp(join(tmpdir(), "cnbkit-build-trust-"));
}, 600_000);
afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

/** The JAVA_TOOL_OPTIONS the step gave in the last build ("" for none). */
let options = "";

/** The step alone, after the JDK. */
const bp = buildpack({
  detect: (ctx) => ctx.pass(),
  async build(ctx) {
    const jdk = await (await buildJdk(ctx, ctx.dependencies.resolve("jdk", "17"))).get();
    const env = await buildTrust(ctx, ctx.platform.env as Record<string, string>, jdk);
    options = (env?.set as Record<string, string> | undefined)?.JAVA_TOOL_OPTIONS ?? "";
    return {};
  },
});

/** A bundle of the system's CAs plus test CAs named `names`. */
async function bundle(...names: string[]): Promise<string> {
  let text = await readFile("/etc/ssl/certs/ca-certificates.crt", "utf8");
  for (const name of names) text += await readFile(makeTestCa(await mkdtemp(join(work, "ca-")), name), "utf8");
  const path = join(work, `bundle-${names.join("-").replace(/\W+/g, "_")}.crt`);
  await writeFile(path, text);
  return path;
}

const ENV = { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" };
const run = (file: string, restore?: string) =>
  runBuild(bp, {
    app: {},
    buildpackToml: toml,
    env: ENV,
    layerCache: join(work, "layer-cache"),
    platformEnv: { SSL_CERT_FILE: file },
    ...(restore ? { restore } : {}),
  });

/** The trustStore of `options` and the common names keytool lists in it. */
function storeOf(r: Awaited<ReturnType<typeof run>>): { path: string; names: string } {
  const path = /-Djavax\.net\.ssl\.trustStore=(\S+)/.exec(options)?.[1] ?? "";
  const keytool = join(r.layer("jdk").path, "bin", "keytool");
  const list = spawnSync(keytool, ["-list", "-v", "-keystore", path, "-storepass", "changeit"], { encoding: "utf8" });
  return { path, names: list.stdout };
}

test("the build's truststore is kept in build_truststore and made again only when the bundle changes", async () => {
  const one = await bundle("cnbkit trust CA one");
  const first = await run(one);
  expect(first.stdout.join("\n")).toContain(`Added 1 CA certificate(s) from ${one} to the JRE's truststore`);
  expect(first.layer("build_truststore").toml?.types).toEqual({ cache: true, build: false, launch: false });
  const made = storeOf(first);
  expect(made.path.startsWith(first.layer("build_truststore").path)).toBe(true);
  expect(made.names).toContain("CN=cnbkit trust CA one");

  // The same bundle: no JVM started, the same store and options.
  const again = await run(one, first.layers);
  expect(again.stdout.join("\n")).not.toContain("Added 1 CA");
  expect(again.stdout.join("\n")).toContain("Reusing build_truststore (key unchanged)");
  expect(storeOf(again)).toEqual(made);

  // Another CA in the bundle: made again, with it.
  const two = await bundle("cnbkit trust CA one", "cnbkit trust CA two");
  const changed = await run(two, again.layers);
  expect(changed.stdout.join("\n")).toContain(`Added 2 CA certificate(s) from ${two} to the JRE's truststore`);
  expect(storeOf(changed).names).toContain("CN=cnbkit trust CA two");
}, 300_000);

test("a bundle with nothing beyond the system's gives no options, and is not made again either", async () => {
  const none = await bundle();
  const first = await run(none);
  expect(options).toBe("");
  const again = await run(none, first.layers);
  expect(options).toBe("");
  expect(again.layer("build_truststore").state.kind).toBe("restored");
}, 300_000);
