// The fleet bench's floor: each image's manifest (by its first tag, as a scan resolves it) and
// config, GET on one keep-alive node:http pool, `concurrency` at once, and nothing else (no
// parsing, no digest check): the rate the registry allows any client on this machine.
//
// fleet.bench.ts runs it in its own, long-lived process (warm), and also as a process of its
// own (`node bench/fleet-floor.mjs <port> <records.json> [concurrency]`): a cold start, as
// `cnbkit fleet scan` is, paying Node's start and a JIT that has not seen node:http's code yet.
// At 1,000 images that start is a share of the run the warm floor never pays.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { pathToFileURL } from "node:url";

const ACCEPT = "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json";

/**
 * GETs each record's manifest and config from the registry at 127.0.0.1:`port`;
 * `records` are { repository: "host/repo", tags: [tag], config: digest }.
 *
 * @returns the seconds it took
 */
export async function twoGetsEach(port, records, concurrency = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 * concurrency });
  const get = (path, accept) => registryGet(port, agent, path, { accept });
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const r = records[next++];
      const repo = r.repository.slice(r.repository.indexOf("/") + 1);
      await get(`/v2/${repo}/manifests/${r.tags[0] ?? r.digest}`, ACCEPT);
      await get(`/v2/${repo}/blobs/${r.config}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return (performance.now() - t0) / 1000;
}

/**
 * One GET of `path` from the registry at 127.0.0.1:`port` on `agent`: resolves with the body
 * as text when `text` is set, else reads nothing of it (the floor's way); rejects on a status
 * other than 200.
 */
export function registryGet(port, agent, path, { accept, text = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers: accept ? { accept } : {} }, (res) => {
      let body = "";
      if (text) {
        res.setEncoding("utf8");
        res.on("data", (c) => (body += c));
      } else res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

/** What an image manifest GET accepts, as a scan asks. */
export const MANIFEST_ACCEPT = ACCEPT;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [port, file, concurrency] = process.argv.slice(2);
  await twoGetsEach(Number(port), JSON.parse(readFileSync(file, "utf8")), Number(concurrency ?? 16));
}
