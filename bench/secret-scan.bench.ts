/**
 * `npm run bench:secret-scan`: what the layer guard (builder-packager/src/platform/app-build/
 * layer-guard) costs. First the needle search alone, over the bytes of a JDK-sized buffer
 * of real files (this Node binary, repeated) in 256 KiB chunks, for 1, 4, 16 and 64 needles:
 * MB/s, median of 3. Then
 * examples/apps/java-hello on the local Java builder with a Maven binding (a settings.xml with
 * a password): a cold build and two warm rebuilds, each build's own "Checked ..." line
 * against its total time (the build is the floor: the ratio is the scan's share of it).
 * Peak RSS printed at the end.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../builder-packager/src/platform/index.js";
import { needleSearch } from "../builder-packager/src/platform/app-build/layer-guard/needle-search.js";
import { caBindings, ROOT } from "../test/e2e/support.js";
import { javaBuilder } from "../test/e2e/java-builder.js";
import { median } from "./stats.js";

const CHUNK = 256 * 1024;

async function searchRows(): Promise<void> {
  const node = await readFile(process.execPath);
  const data = Buffer.concat(Array.from({ length: Math.ceil(200e6 / node.length) }, () => node));
  const pass = (needles: Buffer[]): number => {
    const t0 = performance.now();
    const s = needleSearch(needles);
    for (let i = 0; i < data.length; i += CHUNK) s.push(data.subarray(i, i + CHUNK));
    return performance.now() - t0;
  };
  console.log(`needle search over ${(data.length / 1e6).toFixed(0)} MB in ${CHUNK / 1024} KiB chunks:`);
  for (const k of [1, 4, 16, 64]) {
    const needles = Array.from({ length: k }, (_, i) => Buffer.from(`secret-value-${i}-zq8x7w`));
    const ms = median([0, 1, 2].map(() => pass(needles)));
    console.log(`  ${k} needle(s): ${ms.toFixed(0)} ms, ${(data.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s`);
  }
}

async function javaRows(): Promise<void> {
  const builder = await javaBuilder();
  const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-secret-scan-"));
  try {
    const app = join(work, "app");
    await cp(join(ROOT, "examples/apps/java-hello"), app, { recursive: true });
    const maven = join(work, "maven");
    await mkdir(maven);
    await writeFile(join(maven, "type"), "maven");
    await writeFile(
      join(maven, "settings.xml"),
      "<settings><servers><server><id>corp</id><username>ci</username><password>mvnPassw0rd-bench</password></server></servers></settings>\n",
    );
    const bindings = [...(await caBindings()), { name: "maven", dir: maven }];
    for (const run of ["cold", "warm 1", "warm 2"]) {
      const lines: string[] = [];
      const t0 = performance.now();
      await buildApp({
        appDir: app,
        builder,
        output: `oci:${join(work, "image")}:latest`,
        cacheDir: join(work, "cache"),
        bindings,
        onOutput: (l) => lines.push(l),
      });
      const total = performance.now() - t0;
      const line = lines.find((l) => l.startsWith("Checked ")) ?? "(no Checked line)";
      const secs = Number(/in ([\d.]+) s$/.exec(line)?.[1] ?? Number.NaN);
      console.log(
        `java-hello ${run}: build ${(total / 1000).toFixed(1)} s; ${line} = ${((secs * 1000 * 100) / total).toFixed(1)}% (load ${loadavg()[0]!.toFixed(1)})`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await searchRows();
if (!process.env.BENCH_SECRET_SCAN_SEARCH_ONLY) await javaRows();
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
