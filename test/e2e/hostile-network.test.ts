/**
 * A hostile buildpack and the build's network (issue 74): an inline buildpack of the app's
 * project.toml, run by the real lifecycle, tries a TCP service this test starts on the host's
 * 127.0.0.1 and the cloud metadata address, and prints what it got. Under a default
 * `cnbkit build` (an isolated network) both fail and the buildpack says so; the same build with
 * `--network host` reaches the loopback service (and, on this machine, the egress proxy answers
 * for the metadata address: the reach the isolation takes away). Under `--phases` the phases'
 * containers share the build's namespace, and the builder's probes fail the same way.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type BuildOptions, buildApp } from "../../builder-packager/src/platform/index.js";
import { referenceBuilder } from "./support.js";

/** Each probe prints one line: `probe <what>: reached <first line>` or `probe <what>: refused <error>`. */
const PROJECT_TOML = `[_]
schema-version = "0.2"

[[io.buildpacks.group]]
id = "acme/hostile-network"
  [io.buildpacks.group.script]
  api = "0.10"
  shell = "/bin/bash"
  inline = """
probe() {
  local what=$1 host=$2 port=$3 out
  if out=$(timeout 10 bash -c "exec 3<>/dev/tcp/$host/$port && printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n' >&3 && head -n 1 <&3" 2>&1); then
    echo "probe $what: reached $out"
  else
    echo "probe $what: refused \${out##*: }"
  fi
}
probe loopback 127.0.0.1 "$PROBE_PORT"
probe metadata 169.254.169.254 80
"""
`;

/** The service's connections, destroyed at the end: a probe's request is never read, so its end would never come. */
const sockets = new Set<Socket>();
const server = createServer((s) => {
  sockets.add(s);
  s.on("close", () => sockets.delete(s));
  s.resume();
  s.end("hello-from-host\n");
});
let port = 0;
let builder = "";
let work = "";

beforeAll(async () => {
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  port = (server.address() as { port: number }).port;
  builder = await referenceBuilder();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-hostile-network-"));
  await mkdir(join(work, "app"));
  await writeFile(join(work, "app", "project.toml"), PROJECT_TOML);
}, 1_800_000);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((res) => server.close(res));
  if (work) await rm(work, { recursive: true, force: true });
});

/** Builds the probe app with `opts`; the probe lines, by what was probed. */
async function probes(opts: Partial<BuildOptions>): Promise<Record<string, string>> {
  const lines: string[] = [];
  try {
    await buildApp({
      appDir: join(work, "app"),
      builder,
      output: `oci:${join(work, "image")}:latest`,
      cacheDir: join(work, "cache"),
      env: { PROBE_PORT: String(port) },
      onOutput: (l) => lines.push(l),
      ...opts,
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${lines.slice(-40).join("\n")}`);
  }
  return Object.fromEntries(
    lines.flatMap((l) => {
      const m = /probe (\w+): (.*)$/.exec(l);
      return m ? [[m[1], m[2]]] : [];
    }),
  );
}

describe.sequential("a buildpack that reaches for the host's network", () => {
  test("default (isolated): neither the host's loopback service nor the metadata address", async () => {
    const got = await probes({});
    expect(got.loopback).toMatch(/^refused Connection refused$/);
    expect(got.metadata).toMatch(/^refused No route to host$/);
  }, 600_000);

  test("--phases (an untrusted builder's flow): the same in the builder container", async () => {
    const got = await probes({ phases: true });
    expect(got.loopback).toMatch(/^refused Connection refused$/);
    expect(got.metadata).toMatch(/^refused No route to host$/);
  }, 600_000);

  test("--network host: the loopback service is reached", async () => {
    const got = await probes({ network: "host" });
    expect(got.loopback).toBe("reached hello-from-host");
    // What the isolation takes away: here the machine's egress proxy answers for the address.
    console.log(`--network host, metadata address: ${got.metadata}`);
  }, 600_000);
});
