/**
 * bench:build's signing rows: what `--sign-key` adds to a node-hello build. Warm no-op
 * rebuilds without and with sealing are interleaved (so the disk's drift lands on both
 * sides), and the seal step itself (provenance, SBOM documents read from the image, two
 * signatures' worth of DSSE envelopes, the .att and .sig images written) is timed inside the
 * build. Medians of 5.
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildApp } from "../builder-packager/src/platform/index.js";
import type { Binding } from "../builder-packager/src/platform/index.js";
import { loadSigningKey, sealBuild } from "../builder-packager/src/supply-chain/index.js";
import { median, table } from "./stats.js";

/** What the signing rows need from bench:build. */
export interface SignBench {
  work: string;
  builder: string;
  bindings: Binding[];
  /** A copy of node-hello to build. */
  app: string;
  say: (line: string) => void;
}

/** Prints the signing rows. */
export async function benchSigning({ work, builder, bindings, app, say }: SignBench): Promise<void> {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keyFile = join(work, "sign.key");
  await writeFile(keyFile, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  const key = await loadSigningKey(keyFile);
  const cacheDir = join(work, "sign-cache");
  const plain: number[] = [];
  const sealed: number[] = [];
  const sealMs: number[] = [];
  const build = async (output: string, seal: boolean) => {
    const t0 = performance.now();
    await buildApp({
      appDir: app,
      builder,
      output,
      cacheDir,
      bindings,
      ...(seal
        ? {
            seal: async (req) => {
              const s0 = performance.now();
              await sealBuild(req, key, app);
              sealMs.push(performance.now() - s0);
            },
          }
        : {}),
    });
    return performance.now() - t0;
  };
  say("signing: warm-up builds (not timed)");
  await build(`oci:${join(work, "sign-plain")}:latest`, false);
  await build(`oci:${join(work, "sign-sealed")}:latest`, true);
  sealMs.length = 0;
  say("signing: warm no-op rebuilds without and with --sign-key, interleaved");
  for (let i = 0; i < 5; i++) {
    plain.push(await build(`oci:${join(work, "sign-plain")}:latest`, false));
    sealed.push(await build(`oci:${join(work, "sign-sealed")}:latest`, true));
  }
  const ms = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
  const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(" / ");
  console.log("\nsigning and attesting (node-hello, warm no-op rebuilds, ECDSA P-256; medians of 5)\n");
  table([
    ["measure", "median", "runs"],
    ["warm rebuild, unsigned", ms(plain), all(plain)],
    ["warm rebuild, --sign-key", ms(sealed), all(sealed)],
    ["the seal step (provenance + SBOMs + signature, written)", ms(sealMs), all(sealMs)],
    ["difference of medians (goal <= 500 ms)", `${(median(sealed) - median(plain)).toFixed(0)} ms`, ""],
  ]);
}
