/**
 * Java apps through a small local builder (ca-certificates + cnbkit/java, packaged offline
 * with the local inventory of tools/local-builder/local-java.ts), built with the real
 * lifecycle under runc: a prebuilt executable jar (no JDK at all, a JVM sized by the memory
 * calculator), the main job's Spring Boot example, examples/apps/java-hello, built with its
 * Maven wrapper on the default Java 21 (Debian 13's JDK; one image layer per layers.idx
 * slice; a one-file edit changes only the application slice and downloads nothing; rebuilt on
 * Java 25 with an AOT cache), and a Heroku-style Procfile app whose line runs the jar its Gradle build
 * left in build/libs/ (cnbkit/procfile after cnbkit/java).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { baseRootfsSpecs, ensureBaseImages, writeBaseImage } from "../../builder-packager/src/base/images.js";
import { JDK_RUNTIME_LIBRARIES, TINY_RUN_PACKAGES } from "../../builder-packager/src/base/packages.js";
import { ensureDebianRootfs, rootfsKey } from "../../builder-packager/src/base/rootfs.js";
import { ensureTinyRootfs } from "../../builder-packager/src/base/tiny-rootfs.js";
import { OciLayout } from "../../builder-packager/src/oci/index.js";
import { rebaseImage } from "../../builder-packager/src/platform/rebase.js";
import type { Binding } from "../../builder-packager/src/platform/index.js";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
import { calculateMemory, MIB } from "../../buildpacks/java/src/memory-calculator.js";
import { explodedMicronaut, quarkusFastJar } from "../../buildpacks/java/src/testing/app-layouts.js";
import { servletWar } from "../../buildpacks/java/src/testing/servlet-war.js";
import { layersToSlices, parseLayersIndex } from "../../buildpacks/java/src/spring-boot-layers.js";
import { FAKE_GRADLE } from "../../buildpacks/java/src/testing/fake-gradle.js";
import { type Built, buildJava, javaBuilder } from "./java-builder.js";
import { serverJar } from "./server-jar.js";
import { caBindings, E2E_DIR, getFromImage, ROOT } from "./support.js";

const TIMEOUT = 1_200_000;
const GIB = 1024 ** 3;

/** The application slice's place among the app layers: slices in layers.idx order (dependencies, spring-boot-loader, application; the empty snapshot-dependencies has none). */
const APPLICATION_SLICE = "app[2]";

let work = "";
let builder = "";
let bindings: Binding[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-java-"));
  builder = await javaBuilder();
  bindings = await caBindings();
}, TIMEOUT);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A build of `app` with the local Java builder (see java-builder.ts). */
const build = (app: string, image: string, cacheDir: string, env: Record<string, string> = {}, runImage?: string) =>
  buildJava({ builder, bindings, app, image, cacheDir, env, runImage });

/** The image's layers by diffID, each named as the lifecycle's metadata label names it. */
function namedLayers(image: string): Map<string, string> {
  const r = spawnSync("skopeo", ["inspect", "--config", image], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const config = JSON.parse(r.stdout) as {
    rootfs: { diff_ids: string[] };
    config: { Labels: Record<string, string> };
  };
  const md = JSON.parse(config.config.Labels["io.buildpacks.lifecycle.metadata"] ?? "{}") as {
    app?: { sha: string }[];
    config?: { sha: string };
    launcher?: { sha: string };
    sbom?: { sha: string };
    "process-types"?: { sha: string };
    buildpacks?: { key: string; layers?: Record<string, { sha: string }> }[];
  };
  const names = new Map<string, string>();
  for (const [i, l] of (md.app ?? []).entries()) names.set(l.sha, `app[${i}]`);
  if (md.config) names.set(md.config.sha, "config");
  if (md.launcher) names.set(md.launcher.sha, "launcher");
  if (md.sbom) names.set(md.sbom.sha, "sbom");
  if (md["process-types"]) names.set(md["process-types"].sha, "process-types");
  for (const bp of md.buildpacks ?? [])
    for (const [name, l] of Object.entries(bp.layers ?? {})) names.set(l.sha, `${bp.key}:${name}`);
  return new Map(config.rootfs.diff_ids.map((d) => [d, names.get(d) ?? "base"]));
}

describe.sequential("a prebuilt executable jar", () => {
  test(
    "builds with no JDK, answers HTTP, and runs with the memory calculator's -Xmx",
    async () => {
      const app = join(work, "jar-app");
      await mkdir(app, { recursive: true });
      await serverJar(app);
      const out = join(work, "jar-out");
      await mkdir(out, { recursive: true });
      const image = `oci:${join(out, "image")}:latest`;
      const cold = await build(app, image, join(out, "cache"));
      console.log(`prebuilt jar: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/^cnbkit\/java\s+\S+$/m);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/java:jre'/);
      expect(cold.text).toMatch(/Adding layer 'cnbkit\/java:jvm_memory'/);
      expect(cold.text).not.toMatch(/cnbkit\/java:jdk/);
      expect([...namedLayers(image).values()].filter((n) => n.startsWith("cnbkit/java:")).sort()).toEqual([
        "cnbkit/java:jre",
        "cnbkit/java:jvm_helpers",
        "cnbkit/java:jvm_memory",
      ]);
      // No --memory: no cgroup limit, so the JVM is sized for 1G and says so, not for the host.
      const unlimited: string[] = [];
      const body = await getFromImage(image, {}, { output: unlimited });
      console.log(`prebuilt jar answers: ${body.trim()}`);
      expect(unlimited.join("\n")).toContain("Container memory limit unset. Configuring JVM for 1G container");
      expect(unlimited.find((l) => l.includes("Calculated JVM Memory Configuration"))).toMatch(/\(Total Memory: 1G,/);
      // The runtime is the inventory's JRE 21 (Debian's: its java.version adds a fourth part, 21.0.13.1).
      const selected = /Selected Java (21\.\d+\.\d+)/.exec(cold.text)?.[1] ?? "no Java 21 selected";
      expect(body.startsWith(`200 jar on ${selected}`), body).toBe(true);
      expect(body).toMatch(/ JAVA_TOOL_OPTIONS=.*-Xmx(\d+)[KMG]? /);
      const xmx = /-Xmx(\d+)([KMG]?)/.exec(body);
      const max = Number(/maxMemory=(\d+)/.exec(body)?.[1]);
      const unit = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[xmx?.[2] ?? ""] ?? 1;
      // The JVM reports the -Xmx it was given, rounded to its heap alignment (within 1%).
      expect(Math.abs(max / (Number(xmx?.[1]) * unit) - 1)).toBeLessThan(0.01);
    },
    TIMEOUT,
  );

  test(
    "under a 1 GiB cgroup limit the calculator's JAVA_TOOL_OPTIONS match the unit-tested formula; it starts under 512 MiB",
    async () => {
      const image = `oci:${join(work, "jar-out", "image")}:latest`;
      const output: string[] = [];
      const body = await getFromImage(image, {}, { memoryBytes: GIB, output });
      const calculated = output.find((l) => l.includes("Calculated JVM Memory Configuration"));
      console.log(`prebuilt jar, --memory 1g: ${calculated}`);
      console.log(`prebuilt jar, --memory 1g answers: ${body.trim()}`);
      expect(calculated).toMatch(/\(Total Memory: 1G, Thread Count: 250, Loaded Class Count: \d+, Headroom: 0%\)$/);
      const classes = /Loaded Class Count: (\d+)/.exec(calculated ?? "")?.[1] ?? "";
      const formula = calculateMemory({ totalBytes: GIB, env: { BPL_JVM_LOADED_CLASS_COUNT: classes } });
      const seen = /JAVA_TOOL_OPTIONS=(.*) maxMemory=/.exec(body)?.[1] ?? "";
      expect(seen.endsWith(formula.javaToolOptions), `${seen}\n  vs the formula's\n${formula.javaToolOptions}`).toBe(
        true,
      );
      const small: string[] = [];
      const answer = await getFromImage(image, {}, { memoryBytes: 512 * MIB, output: small });
      console.log(`prebuilt jar, --memory 512m: ${small.find((l) => l.includes("Calculated JVM"))}`);
      expect(small.join("\n")).toContain("the stacks of 250 threads do not fit in 512M; sizing for 50 threads");
      expect(answer).toMatch(/^200 jar on 21\./);
    },
    TIMEOUT,
  );
});

describe.sequential("Spring Boot with mvnw (examples/apps/java-hello)", () => {
  let app = "";
  let out = "";
  let cold: Built = { text: "", ms: 0, digest: "" };

  test(
    "a cold build runs ./mvnw with the local JDK, one layer per layers.idx slice, and the app answers on $PORT",
    async () => {
      app = join(work, "spring-app");
      await cp(join(ROOT, "examples/apps/java-hello"), app, { recursive: true });
      out = join(work, "spring-out");
      await mkdir(out, { recursive: true });
      cold = await build(app, `oci:${join(out, "image")}:latest`, join(out, "cache"));
      console.log(`spring maven: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/^cnbkit\/java\s+\S+$/m);
      expect(cold.text).toMatch(/Maven \(mvnw\)/);
      expect(cold.text).toMatch(/Running \.\/mvnw package/);
      const layers = namedLayers(`oci:${join(out, "image")}:latest`);
      const appLayers = [...layers.values()].filter((n) => n.startsWith("app["));
      console.log(`spring maven: layers ${[...layers.values()].join(", ")}`);
      // One layer per non-empty layers.idx slice (snapshot-dependencies has no paths), in
      // order, and the exporter's layer for whatever no slice took.
      const unpacked = await unpackImage(`oci:${join(out, "image")}:latest`);
      onTestFinished(() => unpacked.release());
      const { rootfs } = unpacked;
      const idx = parseLayersIndex(await readFile(join(rootfs, "workspace/BOOT-INF/layers.idx"), "utf8"), "layers.idx");
      expect(idx.map((l) => l.name)).toEqual([
        "dependencies",
        "spring-boot-loader",
        "snapshot-dependencies",
        "application",
      ]);
      const slices = layersToSlices(idx);
      expect(appLayers).toEqual([...slices, "rest"].map((_, i) => `app[${i}]`));
      expect(slices.length).toBe(3);
      const body = await getFromImage(`oci:${join(out, "image")}:latest`);
      console.log(`spring maven answers: ${body.trim()}`);
      expect(cold.text).toMatch(/JDK 21\./);
      expect(body).toMatch(/^200 Hello from Spring Boot 3\.5\.4 on Java 21\./);
      // Under a real 512 MiB cgroup limit (cnbkit run --memory 512m) it starts and answers,
      // with the heap the calculator leaves (the answer names the JVM's max heap).
      const small: string[] = [];
      const limited = await getFromImage(
        `oci:${join(out, "image")}:latest`,
        {},
        { memoryBytes: 512 * MIB, output: small },
      );
      console.log(
        `spring maven, --memory 512m: ${small.filter((l) => /memory calculator|Calculated JVM/.test(l)).join(" | ")}`,
      );
      console.log(`spring maven, --memory 512m answers: ${limited.trim()}`);
      expect(small.join("\n")).toMatch(
        /Calculated JVM Memory Configuration: .*\(Total Memory: 512M, Thread Count: 50,/,
      );
      const heap = Number(/max heap (\d+)/.exec(limited)?.[1]);
      expect(heap).toBeGreaterThan(64 * MIB);
      expect(heap).toBeLessThan(512 * MIB);
    },
    TIMEOUT,
  );

  test(
    "editing one .java file changes only the application slice's layer, and Maven downloads nothing",
    async () => {
      const image = `oci:${join(out, "image")}:latest`;
      const before = namedLayers(image);
      const controller = join(app, "src/main/java/com/example/demo/HelloController.java");
      await writeFile(controller, (await readFile(controller, "utf8")).replace("Hello from", "Hi from"));
      // --offline: Maven fails if it needs anything the restored ~/.m2 lacks.
      const warm = await build(app, image, join(out, "cache"), { BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS: "--offline" });
      console.log(`spring maven: cold build ${cold.ms} ms, warm rebuild after a one-file edit ${warm.ms} ms`);
      // ~/.m2 is cache-only: kept by reference (layer-store/), so the lifecycle restores none of it.
      expect(warm.text).toMatch(/Reusing maven_m2\b/);
      expect(warm.text).not.toMatch(/Restoring data for "cnbkit\/java:maven_m2" from cache/);
      expect(warm.text).toMatch(/--offline/);
      expect(warm.text).not.toMatch(/Download(ing|ed) from/);
      const after = namedLayers(image);
      const gone = [...before].filter(([d]) => !after.has(d)).map(([, n]) => n);
      const added = [...after].filter(([d]) => !before.has(d)).map(([, n]) => n);
      console.log(`spring maven: changed layers ${gone.join(", ")} -> ${added.join(", ")}`);
      expect(added).toEqual(gone);
      expect(added).toContain(APPLICATION_SLICE);
      expect(added.filter((n) => n !== APPLICATION_SLICE)).toEqual([]);
      expect(await getFromImage(image)).toMatch(/^200 Hi from Spring Boot 3\.5\.4 on Java 21\./);
    },
    TIMEOUT,
  );

  test(
    "on the tiny run image (no shell): built with --run-image (cnbkit sets BP_RUN_IMAGE_SHELL=false from its label) it answers, has no /bin/sh, its static jvm-helper sizes the JVM (1G with no limit, 50 threads under --memory 512m), and rebased onto a tiny image with more packages still answers",
    async () => {
      // The tiny run image (cached under ~/.cache/cnbkit/base like the others) beside the builder's standard one.
      const tiny = await withDirLock(join(E2E_DIR, "builder.lock"), () => ensureBaseImages({ flavor: "tiny" }));
      const image = `oci:${join(out, "tiny-image")}:latest`;
      // BP_EMBED_CERTS: the ca binding's certificates go into the image with SSL_CERT_FILE, which
      // jvm-helper then adds to the JVM's truststore at launch, with no shell.
      const env = { BP_MAVEN_ADDITIONAL_BUILD_ARGUMENTS: "--offline", BP_EMBED_CERTS: "true" };
      const built = await build(app, image, join(out, "cache"), env, tiny.run.ref);
      console.log(`spring maven: warm rebuild onto the tiny run image ${built.ms} ms`);
      expect(built.text).toMatch(
        /Run image has no shell \(its base metadata says flavor tiny\): building with BP_RUN_IMAGE_SHELL=false/,
      );
      // The packaged buildpack carries bin/jvm-helper (static Go), which does all the sh helpers do: no warning.
      expect(built.text).not.toMatch(/BP_RUN_IMAGE_SHELL=false:/);
      expect(built.text).toMatch(
        /Launch helpers in jvm-helper \(static, [\d.]+ MB\): startup-cache check, SSL_CERT_FILE/,
      );
      const unpacked = await unpackImage(image);
      onTestFinished(() => unpacked.release());
      for (const shell of ["bin/sh", "usr/bin/sh", "usr/bin/bash", "usr/bin/dash"]) {
        await expect(lstat(join(unpacked.rootfs, shell)), shell).rejects.toThrow(/ENOENT/);
      }
      expect(existsSync(join(unpacked.rootfs, "layers/cnbkit_java/jvm_memory/exec.d/jvm-helper"))).toBe(true);
      const output: string[] = [];
      const t0 = Date.now();
      const answer = await getFromImage(image, {}, { output });
      console.log(`spring maven on tiny: first answer ${Date.now() - t0} ms after run`);
      expect(answer, output.join("\n")).toMatch(/^200 Hi from Spring Boot 3\.5\.4 on Java 21\./);
      // No cgroup limit: the helper sizes the JVM for 1G and says so; the JVM's max heap is about its -Xmx.
      const text = output.join("\n");
      expect(text).toMatch(/Added [1-9]\d* CA certificate\(s\) from \S+ to the JRE's truststore/);
      expect(text).not.toContain("could not add certificate");
      expect(text).toContain("Container memory limit unset. Configuring JVM for 1G container");
      const calculated =
        /Calculated JVM Memory Configuration: .*-Xmx(\d+)K .*\(Total Memory: 1G, Thread Count: 250,/.exec(text);
      expect(calculated, text).not.toBeNull();
      const xmx = Number(calculated?.[1]) * 1024;
      const heap = Number(/max heap (\d+)/.exec(answer)?.[1]);
      console.log(`spring maven on tiny: -Xmx ${xmx}, max heap ${heap}`);
      expect(xmx).toBeLessThan(GIB);
      expect(heap).toBeLessThanOrEqual(xmx + 4 * MIB); // G1 rounds the heap up to whole regions
      expect(heap).toBeGreaterThan(0.8 * xmx);

      // Rebase onto another tiny image of the same release: the same cut plus the JDK's ImageIO libraries.
      const spec = baseRootfsSpecs(undefined, "tiny").run;
      const packages = [...TINY_RUN_PACKAGES, ...JDK_RUNTIME_LIBRARIES];
      const runRootfs = await ensureDebianRootfs(spec, { onProgress: () => {} });
      const wider = await ensureTinyRootfs(runRootfs, rootfsKey(spec), packages, { onProgress: () => {} });
      const layout = await OciLayout.create(join(out, "tiny-wider"));
      const desc = await writeBaseImage(layout, "run", wider, { ...spec, tiny: packages });
      expect(desc.digest).not.toBe(tiny.run.digest);
      const rebased = await rebaseImage({ image, runImage: `oci:${layout.dir}:run` });
      expect(rebased.digest).not.toBe(rebased.previousDigest);
      const again = await unpackImage(image);
      onTestFinished(() => again.release());
      expect(existsSync(join(again.rootfs, "usr/lib/x86_64-linux-gnu/libjpeg.so.62"))).toBe(true);
      await expect(lstat(join(again.rootfs, "bin/sh"))).rejects.toThrow(/ENOENT/);
      // Under a real 512 MiB limit (cnbkit run --memory) the helper reads the cgroup: 50 threads' stacks fit, 250 do not.
      const small: string[] = [];
      const rebasedAnswer = await getFromImage(image, {}, { memoryBytes: 512 * MIB, output: small });
      console.log(`spring maven on tiny, rebased, --memory 512m: ${rebasedAnswer.trim()}`);
      expect(rebasedAnswer, small.join("\n")).toMatch(/^200 Hi from Spring Boot 3\.5\.4 on Java 21\./);
      expect(small.join("\n")).toMatch(
        /Calculated JVM Memory Configuration: .*\(Total Memory: 512M, Thread Count: 50,/,
      );
      expect(Number(/max heap (\d+)/.exec(rebasedAnswer)?.[1])).toBeLessThan(512 * MIB);
    },
    TIMEOUT,
  );

  test(
    "BP_JVM_AOTCACHE_ENABLED on Java 25: a training run writes an AOT cache the image's JVM maps (-XX:AOTMode=on starts, not refuses)",
    async () => {
      // One rebuild for both caches: BP_JVM_CDS_ENABLED's CDS archive is the same training run
      // with another flag (and the fallback below Java 25, harness-tested on Debian's JRE 17).
      const image = `oci:${join(out, "cds-image")}:latest`;
      const env = { BP_JVM_VERSION: "25", BP_JVM_AOTCACHE_ENABLED: "true", BP_JVM_CDS_ENABLED: "true" };
      const built = await build(app, image, join(out, "cache"), env);
      console.log(`spring maven: rebuild on Java 25 with an AOT cache training run ${built.ms} ms`);
      expect(built.text).toMatch(/AOT cache \(BP_JVM_AOTCACHE_ENABLED\)/);
      expect(built.text).toMatch(
        /Training run: com\.example\.demo\.DemoApplication until its context refreshes \(-XX:AOTCacheOutput\)/,
      );
      expect(built.text).toMatch(/Wrote application\.aot \(\d+\.\d MB, \d+ jars\)/);
      expect(built.text).toMatch(/web: java -XX:AOTCache=\/layers\/cnbkit_java\/cds\/application\.aot -cp /);
      // -XX:AOTMode=on makes a JVM that cannot use the cache (another JVM build, a jar whose
      // size or mtime differs from the training run's) exit instead of starting without it;
      // -Xlog:aot says which file it opened. Both ride on the memory calculator's options.
      const output: string[] = [];
      const answer = await getFromImage(image, { JDK_JAVA_OPTIONS: "-XX:AOTMode=on -Xlog:aot" }, { output });
      expect(answer, output.join("\n")).toMatch(/^200 Hi from Spring Boot 3\.5\.4 on Java 25\./);
      expect(output.join("\n")).toMatch(/\[aot\] Opened AOT cache \/layers\/cnbkit_java\/cds\/application\.aot\./);
      console.log(`spring maven, AOT cache: ${output.find((l) => l.includes("Started DemoApplication")) ?? ""}`);
    },
    TIMEOUT,
  );
});

describe.sequential("a Heroku-style Procfile app (Gradle wrapper)", () => {
  test(
    "cnbkit/procfile runs `java $JAVA_OPTS -Dserver.port=$PORT -jar build/libs/*.jar` after cnbkit/java exploded the app; the memory calculator's options reach it; a rebuild that skips Gradle still serves",
    async () => {
      const app = join(work, "procfile-app");
      await mkdir(join(app, "src/main/java/demo"), { recursive: true });
      // The wrapper is the test's stand-in for Gradle (services.gradle.org is unreachable here):
      // it compiles with the build's JDK and writes build/libs/demo.jar and demo-plain.jar.
      await writeFile(join(app, "gradlew"), FAKE_GRADLE, { mode: 0o755 });
      await writeFile(
        join(app, "build.gradle"),
        "plugins { id 'java' }\njava { toolchain { languageVersion = JavaLanguageVersion.of(17) } }\n",
      );
      await writeFile(join(app, "settings.gradle"), "rootProject.name = 'demo'\n");
      await writeFile(join(app, "Procfile"), "web: java $JAVA_OPTS -Dserver.port=$PORT -jar build/libs/*.jar\n");
      await writeFile(
        join(app, "src/main/java/demo/App.java"),
        `package demo;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
public class App {
  public static void main(String[] args) throws Exception {
    String host = System.getenv().getOrDefault("HOST", "0.0.0.0");
    int port = Integer.parseInt(System.getProperty("server.port"));
    HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 0);
    s.createContext("/", ex -> {
      byte[] body = ("procfile app, server.port=" + System.getProperty("server.port") + " JAVA_OPTS=" + System.getenv("JAVA_OPTS")
          + " JAVA_TOOL_OPTIONS=" + System.getenv("JAVA_TOOL_OPTIONS") + " maxMemory=" + Runtime.getRuntime().maxMemory() + "\\n").getBytes();
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    s.start();
  }
}
`,
      );
      const out = join(work, "procfile-out");
      await mkdir(out, { recursive: true });
      const image = `oci:${join(out, "image")}:latest`;
      const cold = await build(app, image, join(out, "cache"));
      console.log(`procfile app: cold build ${cold.ms} ms`);
      expect(cold.text).toMatch(/^cnbkit\/procfile\s+\S+$/m);
      expect(cold.text).toContain("Kept for the Procfile: Procfile, build/libs/demo.jar");
      expect(cold.text).toContain("Processes read from the Procfile at detect");
      const body = await getFromImage(image);
      console.log(`procfile app answers: ${body.trim()}`);
      // server.port is only set by the Procfile's line (cnbkit/java's own process sets SERVER_PORT).
      expect(body).toMatch(/^200 procfile app, server\.port=\d+ JAVA_OPTS=null JAVA_TOOL_OPTIONS=.*-Xmx\d+[KMG]? /);
      const withOpts = await getFromImage(image, { JAVA_OPTS: "-Dfrom.user=1 -Xss512k" });
      expect(withOpts).toMatch(/JAVA_OPTS=-Dfrom\.user=1 -Xss512k /);

      const warm = await build(app, image, join(out, "cache"));
      console.log(`procfile app: no-op rebuild ${warm.ms} ms`);
      expect(warm.text).toContain("Source tree unchanged: reusing the previous build's artifact");
      expect(await getFromImage(image)).toMatch(/^200 procfile app, server\.port=\d+ /);
    },
    TIMEOUT,
  );
});

/** A Maven app whose stand-in mvnw "builds" by copying the prebuilt target/ that `make` lays out (which output runs is what is tested). */
async function layoutApp(name: string, make: (target: string) => Promise<void>): Promise<string> {
  const app = join(work, name);
  await mkdir(app, { recursive: true });
  await writeFile(
    join(app, "pom.xml"),
    "<project><modelVersion>4.0.0</modelVersion><groupId>e</groupId><artifactId>d</artifactId><version>1</version></project>\n",
  );
  await writeFile(join(app, "mvnw"), "#!/bin/sh\nset -e\ncp -R .fixture/. .\n", { mode: 0o755 });
  await make(join(app, ".fixture", "target"));
  return app;
}

describe.sequential("apps as frameworks lay them out", () => {
  test(
    "Quarkus fast-jar: java -jar target/quarkus-app/quarkus-run.jar with the tree intact, QUARKUS_HTTP_PORT from $PORT",
    async () => {
      const app = await layoutApp("quarkus-app", quarkusFastJar);
      const image = `oci:${join(work, "quarkus-out", "image")}:latest`;
      // The local builder's only JDK is 17 (the default 21 is a JRE there).
      const built = await build(app, image, join(work, "quarkus-out", "cache"), { BP_JVM_VERSION: "17" });
      console.log(`quarkus fast-jar: cold build ${built.ms} ms`);
      expect(built.text).toContain("Runs the Quarkus fast-jar target/quarkus-app/quarkus-run.jar");
      expect(await getFromImage(image)).toBe("200 quarkus layout=true");
    },
    TIMEOUT,
  );

  test(
    "a Jakarta servlet WAR runs exploded in Tomcat 10.1 from the inventory on $PORT, started with no shell",
    async () => {
      const app = await layoutApp("war-app", (target) => servletWar(target, "jakarta"));
      const image = `oci:${join(work, "war-out", "image")}:latest`;
      const built = await build(app, image, join(work, "war-out", "cache"), { BP_JVM_VERSION: "17" });
      console.log(`war: cold build ${built.ms} ms`);
      expect(built.text).toContain(
        "Apache Tomcat 10.1.59 for the WAR (jakarta.servlet: WEB-INF/classes/demo/Hello.class)",
      );
      expect(built.text).toMatch(/Adding layer 'cnbkit\/java:tomcat'/);
      // The app dir is the WAR, exploded at build time (Tomcat serves it as its docBase, as
      // Paketo runs a WAR): served from the WAR file, a big app took minutes to start.
      expect(built.text).toContain("Exploded target/demo.war into the app directory (2 files), Tomcat's docBase");
      const unpacked = await unpackImage(image);
      onTestFinished(() => unpacked.release());
      const hello = join(unpacked.rootfs, "workspace/WEB-INF/classes/demo/Hello.class");
      expect((await lstat(hello)).mtime.toISOString()).toBe("1980-01-01T00:00:01.000Z");
      expect(existsSync(join(unpacked.rootfs, "workspace/target"))).toBe(false);
      const output: string[] = [];
      const t0 = Date.now();
      expect(await getFromImage(image, {}, { output })).toBe("200 jakarta servlet on Apache Tomcat/10.1.59");
      console.log(`war: first answer ${Date.now() - t0} ms after run`);
      // Tomcat deploys and unpacks nothing at start: the ROOT context is the image's /workspace.
      const log = output.join("\n");
      expect(log).toMatch(/Server startup in \[\d+\] milliseconds/);
      expect(log).not.toMatch(/Deploying web application|[Uu]npack|docBase.*\.war/);
    },
    TIMEOUT,
  );

  test(
    "an exploded Micronaut jar (no JDK) gets MICRONAUT_SERVER_PORT from $PORT",
    async () => {
      const app = join(work, "micronaut-app");
      await explodedMicronaut(app);
      const image = `oci:${join(work, "micronaut-out", "image")}:latest`;
      const built = await build(app, image, join(work, "micronaut-out", "cache"));
      expect(built.text).not.toMatch(/cnbkit\/java:jdk/);
      expect(await getFromImage(image)).toBe("200 micronaut");
    },
    TIMEOUT,
  );
});
