/**
 * bench:build's Java startup rows: how long an image of java-hello takes from its container's
 * start to its first HTTP answer, run as `cnbkit run` runs it (runc, host network), without
 * and with a CDS archive (BP_JVM_CDS_ENABLED, Java 21) and an AOT cache
 * (BP_JVM_AOTCACHE_ENABLED, Java 25), beside Spring's own "process running for" (the JVM's
 * start to the context's refresh, which leaves out runc and the first request).
 */
import { freePort } from "../test/e2e/support.js";
import { runApp } from "../builder-packager/src/platform/run.js";
import { median } from "./stats.js";

/** One image to start. */
export interface StartupImage {
  /** The row's name. */
  name: string;
  image: string;
}

/** A started image's figures, in ms. */
export interface StartupFigures {
  /** From the container's start to the first 200 on GET /. */
  firstAnswer: number[];
  /** Spring's "process running for", where it printed one. */
  springRunning: number[];
}

/** How often the port is asked while the app starts: small against a Spring Boot start. */
const POLL_MS = 20;

/** Starts `image` once, returns its figures, and stops it by its container. */
async function startOnce(image: string): Promise<{ firstAnswer: number; springRunning?: number }> {
  const port = await freePort();
  const lines: string[] = [];
  const app = await runApp({ image, port, env: { HOST: "127.0.0.1" }, onOutput: (l) => lines.push(l) });
  // runApp returns once the container runs (the image was unpacked before): the clock starts here.
  const t0 = performance.now();
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (res?.status === 200) {
        await res.text();
        break;
      }
      if (Date.now() > deadline) throw new Error(`${image} did not answer in 180 s:\n${lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const firstAnswer = performance.now() - t0;
    const running = lines.map((l) => /\(process running for ([\d.]+)\)/.exec(l)?.[1]).find(Boolean);
    return { firstAnswer, ...(running ? { springRunning: Number(running) * 1000 } : {}) };
  } finally {
    await app.stop();
  }
}

/**
 * Starts each image once unmeasured (its unpack is cached after), then `runs` times, the
 * images interleaved per round so the machine's load drifts over all of them alike.
 */
export async function measureStartups(images: readonly StartupImage[], runs: number): Promise<StartupFigures[]> {
  for (const i of images) await startOnce(i.image);
  const out = images.map(() => ({ firstAnswer: [] as number[], springRunning: [] as number[] }));
  for (let round = 0; round < runs; round++) {
    for (const [k, i] of images.entries()) {
      const r = await startOnce(i.image);
      out[k]?.firstAnswer.push(r.firstAnswer);
      if (r.springRunning !== undefined) out[k]?.springRunning.push(r.springRunning);
    }
  }
  return out;
}

/** The rows of {@link measureStartups}' figures: median, and every run, in seconds. */
export function startupRows(images: readonly StartupImage[], figures: readonly StartupFigures[]): string[][] {
  const s = (xs: number[]) => (xs.length ? `${(median(xs) / 1000).toFixed(2)} s` : "-");
  const all = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");
  return images.map((i, k) => {
    const f = figures[k] ?? { firstAnswer: [], springRunning: [] };
    return [i.name, s(f.firstAnswer), s(f.springRunning), all(f.firstAnswer)];
  });
}
