/**
 * The build container's network: `none` is a fresh namespace with only lo; `isolated` (the
 * default of `cnbkit build` and `cnbkit run`) is a fresh namespace that reaches the outside
 * through pasta but not a service on the host's loopback nor the metadata address, except a
 * loopback port it is given (the proxy's, a local registry's); `host` reaches the loopback
 * service as before.
 */
import { readlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type BindMount, loopbackPortsOf, runContainer } from "../../container/index.js";
import { hostUsrRootfs } from "../test-fixtures.js";

let rootfs = "";
let mounts: BindMount[] = [];
const servers: Server[] = [];

/** A TCP service on the host's 127.0.0.1 that answers "hello-from-host"; its port. */
async function loopbackService(): Promise<number> {
  const server = createServer((s) => s.end("hello-from-host\n"));
  servers.push(server);
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  ({ rootfs, mounts } = await hostUsrRootfs());
});
afterAll(async () => {
  for (const s of servers) await new Promise((res) => s.close(res));
  await rm(rootfs, { recursive: true, force: true });
});

/** Runs `script` in the tiny rootfs as uid 1000 with `extra`; exit code and stdout+stderr lines. */
async function sh(
  script: string,
  extra: Partial<Parameters<typeof runContainer>[0]>,
): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await runContainer({
    rootfs,
    mounts,
    args: ["sh", "-c", script],
    env: { PATH: "/usr/bin:/bin" },
    user: { uid: 1000, gid: 1000 },
    onStdout: (l) => out.push(l),
    onStderr: (l) => out.push(l),
    ...extra,
  });
  return { code, out };
}

/** curl of `url`, one line: `ok <body>` or `refused <curl's error>`. */
const probe = (url: string) =>
  `r=$(curl -sS -m 10 ${url} 2>&1) && echo "ok $r" || echo "refused $(echo "$r" | tail -n 1)"`;

test("network none: a fresh network namespace with only lo", async () => {
  const { code, out } = await sh("readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", {
    network: "none",
  });
  expect(code).toBe(0);
  expect(out[0]).toMatch(/^net:\[\d+\]$/);
  expect(out[0]).not.toBe(readlinkSync("/proc/self/ns/net"));
  expect(out.slice(1)).toEqual(["lo"]);
});

test("network isolated: the host's loopback service and the metadata address are out of reach, a given loopback port and the outside are not", async () => {
  const hidden = await loopbackService();
  const given = await loopbackService();
  const { code, out } = await sh(
    [
      "readlink /proc/self/ns/net",
      probe(`telnet://127.0.0.1:${hidden}`),
      probe("http://169.254.169.254/latest/meta-data/"),
      probe(`telnet://127.0.0.1:${given}`),
      // The outside world through pasta: the npm registry, as a build's npm install reaches it.
      `curl -sS -m 30 -o /dev/null -w 'npm %{http_code}\\n' https://registry.npmjs.org/-/ping`,
    ].join("\n"),
    // The host's CAs: the only ones that trust this machine's egress proxy.
    {
      network: "isolated",
      loopbackPorts: [given],
      mounts: [...mounts, { source: "/etc/ssl", destination: "/etc/ssl", readonly: true }],
    },
  );
  expect({ code, out }).toMatchObject({ code: 0 });
  expect(out[0]).not.toBe(readlinkSync("/proc/self/ns/net"));
  expect(out[1]).toMatch(/^refused curl: \(7\) Failed to connect to 127\.0\.0\.1 port \d+/);
  expect(out[2]).toMatch(
    /^refused curl: \(7\) Failed to connect to 169\.254\.169\.254 port 80.*(No route to host|Couldn't connect)/,
  );
  expect(out[3]).toBe("ok hello-from-host");
  expect(out[4]).toBe("npm 200");
});

test("network host: the same loopback service is reached", async () => {
  const port = await loopbackService();
  const { code, out } = await sh(probe(`telnet://127.0.0.1:${port}`), { network: "host" });
  expect(code).toBe(0);
  expect(out).toEqual(["ok hello-from-host"]);
});

test("network isolated with a published port: the app in the namespace answers on the host's 127.0.0.1 (cnbkit run --network isolated)", async () => {
  const probe = createServer();
  await new Promise<void>((res) => probe.listen(0, "127.0.0.1", res));
  const port = (probe.address() as { port: number }).port;
  await new Promise((res) => probe.close(res));
  const ac = new AbortController();
  let listening: () => void = () => {};
  const up = new Promise<void>((res) => {
    listening = res;
  });
  const server = `require("node:http").createServer((_q, r) => r.end("hello-from-app")).listen(${port}, "127.0.0.1", () => console.log("listening"))`;
  const exited = runContainer({
    rootfs,
    mounts,
    args: ["node", "-e", server],
    env: { PATH: "/usr/bin:/bin" },
    user: { uid: 1000, gid: 1000 },
    network: "isolated",
    publish: [port],
    signal: ac.signal,
    onStdout: (l) => {
      if (l === "listening") listening();
    },
  });
  try {
    await Promise.race([up, exited.then((c) => Promise.reject(new Error(`app exited ${c}`)))]);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("hello-from-app");
  } finally {
    ac.abort();
    await exited;
  }
});

test("the proxy and a registry on the host's loopback are the ports an isolated build keeps", () => {
  expect(
    loopbackPortsOf({ HTTPS_PROXY: "http://127.0.0.1:3128", http_proxy: "localhost:8080" }, [
      "127.0.0.1:5000",
      "registry.example.com",
    ]),
  ).toEqual([8080, 3128, 5000]);
  expect(loopbackPortsOf({ HTTPS_PROXY: "http://proxy.corp:3128" })).toEqual([]);
  // A mirror named in the build's --env, and nothing else on loopback.
  expect(
    loopbackPortsOf({}, [], ["http://user:pw@127.0.0.1:8081/npm/", "https://mirror.corp/x", "127.0.0.1:9/no-scheme"]),
  ).toEqual([8081]);
});
