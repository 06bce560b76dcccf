/**
 * The local Java builder of the Java e2e tests (test/e2e/java.test.ts and the long suite's
 * test/long/java25.test.ts), and a build with it that keeps the output lines and the time.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { withDirLock } from "../../builder-packager/src/cache/index.js";
import { type Binding, buildApp } from "../../builder-packager/src/platform/index.js";
import { prepareLocalJavaBuilder } from "../../tools/local-builder/local-java-builder.js";
import { BASE_LAYOUT, E2E_DIR } from "./support.js";

/**
 * The local Java builder as `oci:<dir>:latest`, kept in .cnbkit/e2e/java (gitignored) like the
 * reference builder and made again only when its builder.toml or cnbkit/java's package changed.
 */
export async function javaBuilder(): Promise<string> {
  await mkdir(E2E_DIR, { recursive: true });
  const dir = join(E2E_DIR, "java");
  return withDirLock(join(E2E_DIR, "java.lock"), async () => {
    await withDirLock(join(E2E_DIR, "builder.lock"), () => ensureBaseImages({ output: BASE_LAYOUT }));
    const t0 = Date.now();
    const local = await prepareLocalJavaBuilder({ outDir: join(dir, "src"), baseLayout: BASE_LAYOUT });
    const key = `${await readFile(local.builderToml, "utf8")}${await readFile(`${local.javaPackage}.inputs`, "utf8")}`;
    const stamp = join(dir, "builder.inputs");
    const image = join(dir, "builder");
    if ((await readFile(stamp, "utf8").catch(() => "")) !== key || !existsSync(join(image, "index.json"))) {
      await rm(stamp, { force: true });
      await createBuilder({ config: local.builderToml, output: `oci:${image}:latest` });
      await writeFile(stamp, key);
    }
    console.log(`java builder: ready in ${Date.now() - t0} ms`);
    return `oci:${image}:latest`;
  });
}

/** What a Java e2e build gave: its output lines joined, how long it took, the image digest. */
export interface Built {
  text: string;
  ms: number;
  digest: string;
}

/** Where and how to build one Java e2e app. */
export interface JavaBuild {
  builder: string;
  bindings: Binding[];
  app: string;
  /** The output image (`oci:<dir>:<tag>`). */
  image: string;
  cacheDir: string;
  env?: Record<string, string>;
  runImage?: string | undefined;
}

/** Builds `b.app` (what `cnbkit build` runs); a failure carries the build's last 80 lines. */
export async function buildJava(b: JavaBuild): Promise<Built> {
  const lines: string[] = [];
  const t0 = Date.now();
  const r = await buildApp({
    appDir: b.app,
    builder: b.builder,
    output: b.image,
    cacheDir: b.cacheDir,
    bindings: b.bindings,
    env: b.env ?? {},
    ...(b.runImage ? { runImage: b.runImage } : {}),
    onOutput: (l: string) => lines.push(l),
  }).catch((e: Error) => {
    throw new Error(`${e.message}\n${lines.slice(-80).join("\n")}`);
  });
  return { text: lines.join("\n"), ms: Date.now() - t0, digest: r.digest };
}
