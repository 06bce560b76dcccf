/**
 * `cnbkit fleet patch` for CPython and a JRE, end to end with real images, as
 * fleet-patch.test.ts shows it for Node.js: examples/apps/python-hello built on CPython 3.13.5
 * (Debian 13's python3.13) and on 3.13.18 (Debian unstable's), and a prebuilt executable jar
 * built on JRE 17.0.19 (Debian 12's release suite) and on 17.0.21 (bookworm-security), each by
 * the real lifecycle with the local reference builder made with `patchBuilds` (the only builder
 * whose inventory has both builds of each line; see tools/local-builder/local-node.ts). Each
 * old image, pushed to a real docker-registry, is patched onto the newer build with
 * --sign-key; the patched image is compared with the fresh build layer by layer, cosign and
 * `cnbkit verify` accept it, and it answers HTTP naming the new runtime.
 *
 * A third case is a Spring Boot app with the startup cache on (BP_JVM_CDS_ENABLED): the user's
 * Maven build (examples/apps/java-hello's wrapper and sources, Java 17) makes the jar and the
 * builder gets the jar, as a CI that runs `mvn package` before the image build hands it over;
 * the builder itself cannot compile for 17.0.19, as it has that JRE but no JDK of that update
 * ("BP_JVM_VERSION "17.0.19" matches no JDK in the inventory"). The patch keeps the `cds` layer
 * (a CDS archive trained on 17.0.19), says so in the plan and after the real run, and at launch
 * the layer's check turns the archive off with its one line; the app still answers.
 *
 * In the long suite: a builder of its own and four real builds are far more than test:all may cost.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { FleetPatchReport } from "../../builder-packager/src/fleet/index.js";
import { copyImage, type ImageConfig, openImageSink, openImageSource } from "../../builder-packager/src/oci/index.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { cosignKeyPair } from "../../builder-packager/src/supply-chain/test-cosign.js";
import { bundleCli, caBindingArgs, fixtureApp, getFromImage, ROOT, runCli } from "../e2e/support.js";
import { serverJar } from "../e2e/server-jar.js";
import { cosignOnPatched } from "./cosign-patched.js";
import { patchBuildsBuilder } from "./patch-builds-builder.js";

const PASSWORD = "fleet-patch-password";
const s = { cli: "", builder: "", work: "", ca: [] as string[] };
let removeCli: () => Promise<void> = async () => {};
let registry: TestRegistry;
let keys: { key: string; pub: string };

const cli = (args: string[]) => runCli(s.cli, args, undefined, { env: { COSIGN_PASSWORD: PASSWORD } });

/**
 * A user's Spring Boot web app on Java 17 (examples/apps/java-hello with java.version 17),
 * packaged by its own Maven wrapper (Maven and spring-boot-starter-web from Maven Central, with
 * the wrapper's and the test's own homes under s.work), and its jar alone in `dir`.
 */
async function springBootJarApp(dir: string): Promise<void> {
  const src = join(s.work, "spring-src");
  const jar = join(src, "target", "java-hello-0.0.1.jar");
  if (existsSync(jar)) {
    await mkdir(dir, { recursive: true });
    return cp(jar, join(dir, "demo.jar"));
  }
  await cp(join(ROOT, "examples/apps/java-hello"), src, { recursive: true });
  const pom = await readFile(join(src, "pom.xml"), "utf8");
  await writeFile(
    join(src, "pom.xml"),
    pom.replace("<java.version>21</java.version>", "<java.version>17</java.version>"),
  );
  const m2 = join(s.work, "m2");
  const r = spawnSync("./mvnw", ["-B", "-q", `-Dmaven.repo.local=${join(m2, "repository")}`, "package"], {
    cwd: src,
    encoding: "utf8",
    env: { ...process.env, MAVEN_USER_HOME: m2 },
  });
  if (r.status !== 0) throw new Error(`mvnw package failed in ${src}: ${r.stdout}${r.stderr || r.error?.message}`);
  await mkdir(dir, { recursive: true });
  await cp(jar, join(dir, "demo.jar"));
}

type LabelEntry = { sha: string; data?: { "cache-key"?: Record<string, unknown> } & Record<string, unknown> };

/**
 * Where `patched`'s config differs from `fresh`'s: the buildpack layers whose diffID differs,
 * each with the cache-key fields and the other metadata fields that differ, and whether all else (the other diffIDs, the
 * label's other entries, env, history, ...) is equal once those are set aside.
 */
function differences(patched: ImageConfig, fresh: ImageConfig): { layers: Case["differs"]; rest: string } {
  const label = (c: ImageConfig) =>
    JSON.parse(c.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}") as {
      buildpacks?: { key: string; layers?: Record<string, LabelEntry> }[];
    };
  const [p, f] = [label(patched), label(fresh)];
  const layers: Case["differs"] = [];
  const aside = new Set<string>();
  for (const bp of f.buildpacks ?? []) {
    for (const [name, entry] of Object.entries(bp.layers ?? {})) {
      const other = p.buildpacks?.find((b) => b.key === bp.key)?.layers?.[name];
      if (!other || other.sha === entry.sha) continue;
      const [a, b] = [other.data?.["cache-key"] ?? {}, entry.data?.["cache-key"] ?? {}];
      const differing = (x: Record<string, unknown>, y: Record<string, unknown>) =>
        [...new Set([...Object.keys(x), ...Object.keys(y)])].filter(
          (k) => k !== "cache-key" && JSON.stringify(x[k]) !== JSON.stringify(y[k]),
        );
      const keyFields = differing(a, b);
      const fields = differing(other.data ?? {}, entry.data ?? {});
      layers.push({ layer: `${bp.key}:${name}`, keyFields, fields });
      aside.add(entry.sha).add(other.sha);
      for (const e of [entry, other]) for (const k of keyFields) delete e.data?.["cache-key"]?.[k];
      for (const e of [entry, other]) for (const k of fields) delete e.data?.[k];
      other.sha = entry.sha;
    }
  }
  const rest = (c: ImageConfig, l: object) => ({
    ...c,
    rootfs: c.rootfs.diff_ids.filter((d) => !aside.has(d)),
    config: { ...c.config, Labels: { ...c.config?.Labels, "io.buildpacks.lifecycle.metadata": l } },
  });
  const paths = diffPaths(rest(patched, p), rest(fresh, f), "config");
  return { layers, rest: paths.length === 0 ? "equal" : `differs at ${paths.slice(0, 8).join(", ")}` };
}

/** The paths at which two JSON values differ (labels that hold JSON are compared as JSON). */
function diffPaths(a: unknown, b: unknown, at: string): string[] {
  const json = (v: unknown) => {
    if (typeof v !== "string" || !v.startsWith("{")) return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  };
  const [x, y] = [json(a), json(b)];
  if (typeof x !== "object" || typeof y !== "object" || x === null || y === null)
    return JSON.stringify(x) === JSON.stringify(y) ? [] : [at];
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].flatMap((k) =>
    diffPaths((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`),
  );
}

async function push(from: string, to: string): Promise<string> {
  const r = await copyImage(await openImageSource(from), await openImageSink(to));
  return r.descriptor.digest;
}

/** One language's proof: the app, the env that pins its runtime, the two builds and what they answer. */
interface Case {
  name: string;
  key: string;
  dependency: string;
  env: string;
  old: string;
  new: string;
  answer: RegExp;
  app: () => Promise<string>;
  /** Build env beyond the runtime pin (the startup cache's switch). */
  buildEnv?: Record<string, string>;
  /** A line the patched image's launch prints (the startup cache check's). */
  launchLine?: RegExp;
  /** Lines the plan says of what stays behind. */
  notes: string[];
  /** The layers (and their cache-key fields) in which the patched image may differ from the fresh build. */
  differs: { layer: string; keyFields: string[]; fields: string[] }[];
  /** Metadata fields of those layers that may or may not differ, left out of the comparison. */
  mayDiffer?: string[];
  /**
   * Labels the patched image leaves out that the fresh build has: `io.cnbkit.abi.needs` when
   * its layers are not all the reference's (patch-image.ts: never stale; readers compute it).
   */
  leftOut: string[];
}

const CASES: Case[] = [
  {
    name: "python",
    key: "cnbkit/python:cpython",
    dependency: "cpython",
    env: "BP_CPYTHON_VERSION",
    old: "3.13.5",
    new: "3.13.18",
    answer: /^200 Hello from python-hello on CPython 3\.13\.18 with Flask/,
    // Made by the old release's venv module: pyvenv.cfg's version line, the activate scripts,
    // and the key naming the exact release (buildpacks/python/src/patch-rule.ts says why kept).
    differs: [{ layer: "cnbkit/python:venv", keyFields: ["python"], fields: [] }],
    notes: ["cnbkit/python:cpython: keeps the venv's pyvenv.cfg version, activate scripts and cache key"],
    leftOut: ["io.cnbkit.abi.needs"],
    app: () => fixtureApp("python-hello", {}, join(ROOT, "examples/apps/python-hello")),
  },
  {
    name: "java",
    key: "cnbkit/java:jre",
    dependency: "jre",
    env: "BP_JVM_VERSION",
    old: "17.0.19",
    new: "17.0.21",
    // Debian's JRE names a fourth part (17.0.21.1), which the inventory's version leaves out.
    answer: /^200 jar on 17\.0\.21/,
    differs: [],
    notes: [],
    leftOut: [],
    app: async () => {
      const app = join(s.work, "jar-app");
      await serverJar(app);
      return app;
    },
  },
  {
    name: "spring-cds",
    key: "cnbkit/java:jre",
    dependency: "jre",
    env: "BP_JVM_VERSION",
    old: "17.0.19",
    new: "17.0.21",
    buildEnv: { BP_JVM_CDS_ENABLED: "true" },
    answer: /^200 Hello from Spring Boot 3\.5\.4 on Java 17\.0\.21/,
    launchLine:
      /^cnbkit\/java: the CDS archive was written by Java 17\.0\.19\S* and this JVM is Java 17\.0\.21\S*, so the app starts without it; a new build writes one for this JVM$/m,
    notes: [
      "cnbkit/java:jre: keeps layer cds, stale: the Spring Boot startup cache (CDS archive or AOT cache) trained on the old JVM build (the new JVM ignores it, so the app starts slower until a build trains a new one): rebuild to restore it",
    ],
    // The kept archive's layer: its key names the JRE it was trained on, its metadata the JVM
    // build (the check's input); all else is the fresh build's. The archive's size differs in
    // most runs, but not all: a training run writes 30.7 MB on either JVM, to the byte at times.
    differs: [{ layer: "cnbkit/java:cds", keyFields: ["jre", "jreKey"], fields: ["jvm"] }],
    mayDiffer: ["size"],
    leftOut: ["io.cnbkit.abi.needs"],
    app: async () => {
      const app = join(s.work, "spring-app");
      await springBootJarApp(app);
      return app;
    },
  },
];

/** FLEET_PATCH_CASE=spring-cds (a case's name) builds and patches that case alone. */
const RUN = CASES.filter((c) => !process.env.FLEET_PATCH_CASE || c.name === process.env.FLEET_PATCH_CASE);

/** Per case: the reference (a fresh build on the newer runtime) and its digest. */
const refs = new Map<string, { ref: string; digest: string }>();

beforeAll(async () => {
  s.builder = await patchBuildsBuilder();
  const bundle = await bundleCli();
  s.cli = bundle.path;
  removeCli = bundle.remove;
  s.ca = await caBindingArgs();
  s.work = await mkdtemp(join(tmpdir(), "cnbkit-long-fleet-patch-pj-"));
  registry = await startRegistry();
  keys = await cosignKeyPair(s.work, PASSWORD);
  for (const c of RUN) {
    const app = await c.app();
    const build = async (version: string, name: string) => {
      const out = `oci:${join(s.work, `${c.name}-${name}`)}:latest`;
      const env = Object.entries({ ...c.buildEnv, [c.env]: version }).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
      const args = ["build", app, "--builder", s.builder, "--output", out, ...env];
      const r = await runCli(s.cli, [...args, "--cache-dir", join(s.work, `cache-${c.name}-${name}`), ...s.ca]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return out;
    };
    const [old, fresh] = [await build(c.old, "old"), await build(c.new, "fresh")];
    await rm(app, { recursive: true, force: true });
    await push(old, `${registry.host}/${c.name}/app:v1`);
    const ref = `${registry.host}/${c.name}/app:${c.dependency}-${c.new}`;
    refs.set(c.name, { ref, digest: await push(fresh, ref) });
  }
}, 1_800_000);

afterAll(async () => {
  await registry?.stop();
  await removeCli();
  if (s.work) await rm(s.work, { recursive: true, force: true });
});

describe.each(RUN)("fleet patch: $name ($dependency $old → $new)", (c) => {
  const inventory = () => join(s.work, `fleet-${c.name}.json`);
  const target = () => `${registry.host}/${c.name}/app:v1`;

  test("the plan names the runtime change; the patch with --sign-key makes the fresh build's image", async () => {
    const ref = refs.get(c.name);
    if (!ref) throw new Error(`no reference for ${c.name}`);
    const scan = await cli(["fleet", "scan", `${registry.host}/${c.name}/`, "-o", inventory()]);
    expect(scan.code, scan.stderr).toBe(0);
    const dry = await cli(["fleet", "patch", "-i", inventory(), "--from", ref.ref, "--dry-run"]);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    console.log(`${c.name} plan:\n${dry.stdout}`);
    expect(dry.stdout).toContain(`${c.key}: ${c.dependency} ${c.old} → ${c.new}`);
    expect(dry.stdout).toMatch(/^Plan: 1 to patch, 1 already current, 0 cannot be patched/m);
    for (const note of c.notes) expect(dry.stdout).toContain(note);
    const file = join(s.work, `patch-${c.name}.json`);
    const r = await cli([
      "fleet",
      "patch",
      "-i",
      inventory(),
      "--from",
      ref.ref,
      "--sign-key",
      keys.key,
      "--report",
      file,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    console.log(`${c.name} patch:\n${r.stdout}`);
    // Each plan note once more after the real run, with its image count (notes are prefixes).
    const said = r.stdout.split("\n").filter((l) => l.startsWith("  note: ") && l.endsWith(" (1 image)"));
    for (const note of c.notes)
      expect(
        said.filter((l) => l.startsWith(`  note: ${note}`)),
        r.stdout,
      ).toHaveLength(1);
    const report = JSON.parse(await readFile(file, "utf8")) as FleetPatchReport;
    const [outcome] = report.outcomes;
    if (outcome?.kind !== "patched") throw new Error(`${c.name}: not patched: ${JSON.stringify(report.outcomes)}`);
    const open = async (x: string) => (await openImageSource(x)).image();
    const patched = await open(target());
    const fresh = await open(ref.ref);
    const seen = differences(patched.config, fresh.config);
    console.log(
      `${c.name}: patched ${outcome.to} (${outcome.bytes} bytes pushed, ${outcome.seconds.toFixed(2)} s), fresh ${ref.digest}; differs in ${JSON.stringify(seen.layers)}`,
    );
    // Every layer, the config and the label are the fresh build's but for the layers the
    // rule's `keep` names (python: the venv, see buildpacks/python/src/patch-rule.ts) and the
    // ABI record, which is left for readers to compute from the layers rather than kept stale.
    const rest = c.leftOut.length
      ? `differs at ${c.leftOut.map((l) => `config.config.Labels.${l}`).join(", ")}`
      : "equal";
    const layers = seen.layers.map((l) => ({ ...l, fields: l.fields.filter((f) => !c.mayDiffer?.includes(f)) }));
    expect({ ...seen, layers }).toEqual({ layers: c.differs, rest });
    for (const label of c.leftOut) {
      expect(fresh.config.config?.Labels?.[label]).toBeDefined();
      expect(patched.config.config?.Labels?.[label]).toBeUndefined();
    }
    if (c.differs.length === 0) expect(outcome.to).toBe(ref.digest);
    const again = await cli(["fleet", "patch", "-i", inventory(), "--from", ref.ref]);
    expect(again.code, again.stderr).toBe(0);
    // The patched image and the reference: one image when digest-equal (both tags of one repository).
    const current = c.differs.length === 0 ? 1 : 2;
    expect(again.stdout).toMatch(new RegExp(`^Plan: 0 to patch, ${current} already current, 0 cannot be patched`, "m"));
  }, 600_000);

  test("cosign and cnbkit verify accept the patched image; its provenance records the patch; it answers on the new runtime", async () => {
    const ref = target();
    const { patch, sboms: docs } = await cosignOnPatched(ref, keys.pub);
    expect(patch.layers).toEqual([c.key]);
    expect(patch.layer.annotations).toMatchObject({ dependency: c.dependency, from: c.old, to: c.new });
    // The runtime's component names the new version, and no document the old one.
    expect(docs.some((d) => d.includes(`"version":"${c.new}"`))).toBe(true);
    expect(docs.filter((d) => d.includes(`"version":"${c.old}"`))).toEqual([]);
    const cnbkitVerify = await cli(["verify", ref, "--key", keys.pub]);
    expect(cnbkitVerify.code, cnbkitVerify.stdout + cnbkitVerify.stderr).toBe(0);
    const output: string[] = [];
    const body = await getFromImage(ref, {}, { output });
    console.log(`${c.name} patched answers: ${body.trim()}`);
    expect(body, output.join("\n")).toMatch(c.answer);
    if (c.launchLine) {
      const joined = output.join("\n");
      console.log(`${c.name} patched launch: ${c.launchLine.exec(joined)?.[0] ?? joined}`);
      console.log(`${c.name} patched: ${output.find((l) => l.includes("Started ")) ?? "no Started line"}`);
      expect(joined).toMatch(c.launchLine);
    }
  }, 300_000);

  test.runIf(c.launchLine)(
    "a rebuild from the patched image trains a new startup cache for the new JVM, and its launch says nothing",
    async () => {
      // What the note tells the operator to do: build again with the patched image as the
      // previous one. The cds layer's key names 17.0.19, so the build trains on the new JRE.
      const app = await c.app();
      const previous = `oci:${join(s.work, `${c.name}-patched`)}:latest`;
      await push(target(), previous);
      const out = `oci:${join(s.work, `${c.name}-rebuilt`)}:latest`;
      const env = Object.entries({ ...c.buildEnv, [c.env]: c.new }).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
      const cache = join(s.work, `cache-${c.name}-rebuilt`);
      const args = ["build", app, "--builder", s.builder, "--output", out, "--previous-image", previous, ...env];
      const r = await runCli(s.cli, [...args, "--cache-dir", cache, ...s.ca]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      console.log(
        `${c.name} rebuild: ${r.stdout
          .split("\n")
          .filter((l) => /cds|CDS|jsa|Reusing|jre/i.test(l))
          .join(" | ")}`,
      );
      expect(r.stdout).toMatch(/Wrote application\.jsa \(/);
      const output: string[] = [];
      expect(await getFromImage(out, {}, { output }), output.join("\n")).toMatch(c.answer);
      console.log(`${c.name} rebuilt: ${output.find((l) => l.includes("Started ")) ?? "no Started line"}`);
      expect(output.filter((l) => l.startsWith("cnbkit/java:"))).toEqual([]);
    },
    600_000,
  );
});
