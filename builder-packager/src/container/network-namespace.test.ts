/**
 * The isolated network: pasta's command line (no port of the host forwarded but those asked
 * for, the gateway not mapped to the host), the routes that make the host's other addresses and
 * the metadata ranges unreachable, what runc is told, and (as root, with pasta) that a close
 * called twice at once does the work once and both wait for it.
 */
import { execFileSync } from "node:child_process";
import { expect, test } from "vitest";
import { blockedRoutes, openIsolatedNetwork, pastaArgs } from "./network-namespace.js";
import { runtimeConfig } from "./runtime-config.js";

test("pasta forwards only the named loopback ports in, and the published ports out on 127.0.0.1", () => {
  expect(pastaArgs("ns", "/tmp/p", {}).join(" ")).toBe(
    "--foreground --quiet --runas 0 --netns ns --config-net --no-map-gw -t none -u none -T none -U none --pid /tmp/p",
  );
  const args = pastaArgs("ns", "/tmp/p", { loopbackPorts: [3128, 5000, 3128], publish: [8080] }).join(" ");
  expect(args).toContain("--host-lo-to-ns-lo -t 127.0.0.1/8080 -u none -T 3128,5000 -U none");
  // Debian 12's pasta refuses the option (and aims published ports at loopback anyway).
  expect(pastaArgs("ns", "/tmp/p", { publish: [8080] }, false).join(" ")).not.toContain("--host-lo-to-ns-lo");
});

test("the metadata ranges and the host's addresses but link-local get unreachable routes", () => {
  const routes = blockedRoutes({
    lo: [{ address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4", mac: "", internal: true, cidr: null }],
    eth0: [
      { address: "192.0.2.2", netmask: "255.255.255.0", family: "IPv4", mac: "", internal: false, cidr: null },
      { address: "fe80::1", netmask: "ffff::", family: "IPv6", mac: "", internal: false, cidr: null, scopeid: 2 },
      { address: "fd00::2", netmask: "ffff::", family: "IPv6", mac: "", internal: false, cidr: null, scopeid: 0 },
    ],
  });
  expect(routes).toEqual([
    "route add unreachable 169.254.0.0/16",
    "route add unreachable fd00:ec2::254/128",
    "route add unreachable 192.0.2.2/32",
    "route add unreachable fd00::2/128",
  ]);
});

test("runc joins the isolated namespace, and root there goes without CAP_NET_RAW", () => {
  const base = { rootfs: "/r", args: ["true"], env: {}, user: { uid: 0, gid: 0 } };
  const isolated = runtimeConfig({ ...base, network: "isolated" }, "/run/netns/cnbkit-1") as {
    linux: { namespaces: { type: string; path?: string }[] };
    process: { capabilities: { bounding: string[] } };
  };
  expect(isolated.linux.namespaces).toContainEqual({ type: "network", path: "/run/netns/cnbkit-1" });
  expect(isolated.process.capabilities.bounding).not.toContain("CAP_NET_RAW");
  const host = runtimeConfig({ ...base, network: "host" }) as typeof isolated;
  expect(host.linux.namespaces.map((n) => n.type)).not.toContain("network");
  expect(host.process.capabilities.bounding).toContain("CAP_NET_RAW");
  expect(() => runtimeConfig({ ...base, network: "isolated" })).toThrow(/needs the namespace's path/);
});

test("a close called twice at once (as a build does: when its containers end, and at its end) waits for one close", async () => {
  const net = await openIsolatedNetwork({});
  const name = net.path.slice("/run/netns/".length);
  const listed = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).includes(name);
  expect(listed()).toBe(true);
  const first = net.close();
  const second = net.close();
  await second;
  // The second call returned only once the first one's work was done: the name is gone.
  expect(listed()).toBe(false);
  await first;
  await net.close();
});
