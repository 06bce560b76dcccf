/**
 * Fleets, end to end, at a CI-sized scale: a real Express app built with the reference
 * builder and the real lifecycle becomes a fleet of 24 app images in a real docker-registry
 * (across 8 repositories, on two run-image versions, some signed with provenance and SBOM
 * attestations, some marked by image extensions, beside plain images). The bundled CLI
 * scans it, re-scans it, queries it and rebases what is behind; cosign verifies rebased and
 * signed images, skopeo reads them, and a rebased image runs and answers.
 */
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { FleetInventory, FleetRebaseReport } from "../../builder-packager/src/fleet/index.js";
import { type Fleet, makeFleet } from "../../builder-packager/src/fleet/test-fleet.js";
import { copyImage, openImageSink, openImageSource } from "../../builder-packager/src/oci/index.js";
import { startFaultProxy, startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { loadSigningKey } from "../../builder-packager/src/supply-chain/index.js";
import { cosign, cosignKeyPair } from "../../builder-packager/src/supply-chain/test-cosign.js";
import { BASE_LAYOUT, cliSession, fixtureApp, freePort, getFromImage, runCli } from "./support.js";

const run = promisify(execFile);
const e2e = cliSession("fleet");
const PASSWORD = "fleet-signing-password";
let registry: TestRegistry;
/** The registry's access log (combined log format), for counting requests by kind. */
const accessLog: string[] = [];
let fleet: Fleet;
let keys: { key: string; pub: string };
let inventoryFile = "";

function cli(args: string[]) {
  return runCli(e2e.cli, args, undefined, { env: { COSIGN_PASSWORD: PASSWORD } });
}

async function inventory(): Promise<FleetInventory> {
  return JSON.parse(await readFile(inventoryFile, "utf8")) as FleetInventory;
}

beforeAll(async () => {
  registry = await startRegistry({ onAccessLog: (line) => accessLog.push(line) });
  keys = await cosignKeyPair(e2e.work, PASSWORD);
  const app = await fixtureApp("express-npm");
  const image = `oci:${join(e2e.work, "app")}:latest`;
  const built = await runCli(e2e.cli, ["build", app, "--builder", e2e.builder, "--output", image, ...e2e.ca]);
  await rm(app, { recursive: true, force: true });
  expect(built.code, built.stderr).toBe(0);
  fleet = await makeFleet({
    registry: registry.host,
    prefix: "fleet/",
    apps: [image],
    runImage: `oci:${BASE_LAYOUT}:run`,
    repositories: 8,
    tagsPerRepository: 3,
    sign: { key: await loadSigningKey(keys.key, { password: PASSWORD }), every: 4 },
    extendedEvery: 6,
    others: 2,
  });
  inventoryFile = join(e2e.work, "fleet.json");
}, 600_000);

afterAll(async () => {
  await registry?.stop();
});

describe("fleet scan", () => {
  test("an inventory of every app image from metadata alone; cosign's tags are proofs, other images are named", async () => {
    const scan = await cli(["fleet", "scan", registry.host, "--key", keys.pub, "-o", inventoryFile]);
    expect(scan.code, scan.stderr).toBe(0);
    const inv = await inventory();
    // 24 made from the templates, and the two templates themselves (on run image v1 and v2).
    expect(inv.images).toHaveLength(fleet.images.length + 2);
    expect(inv.images.flatMap((r) => r.tags).filter((t) => t.startsWith("sha256-"))).toEqual([]);
    expect(inv.others.map((o) => `${o.repository.slice(registry.host.length + 1)}: ${o.why}`).sort()).toEqual(
      ["fleet/base/run", "fleet/base/run", "fleet/infra/tool-0", "fleet/infra/tool-1"].map(
        (repo) => `${repo}: not a CNB app image (no io.buildpacks.lifecycle.metadata label)`,
      ),
    );
    const signed = fleet.images.filter((i) => i.signed).map((i) => i.ref);
    const verified = inv.images.filter((r) => r.signature === "verified").map((r) => `${r.repository}:${r.tags[0]}`);
    expect(verified.sort()).toEqual(signed);
    expect(inv.images.filter((r) => r.provenance === "verified")).toHaveLength(signed.length);
    // Signed images name when and how they were made; their packages come from their attestations.
    const one = inv.images.find((r) => r.signature === "verified")!;
    expect(one.built?.from).toBe("provenance");
    expect(one.sbom.source).toBe("attestation");
    const express = inv.images.map((r) =>
      r.sbom.ids.flatMap((id) => inv.sboms[id]!.packages).find((p) => p.name === "express"),
    );
    expect(express.every((p) => p?.ecosystem === "npm" && /^4\./.test(p.version))).toBe(true);
    expect(inv.images.every((r) => r.buildpacks.some((b) => b.id === "cnbkit/nodejs"))).toBe(true);
    expect(inv.images.every((r) => r.processes.some((p) => p.type === "web" && p.default))).toBe(true);
    expect(inv.images.filter((r) => !r.rebasable.ok).map((r) => r.rebasable)).toEqual(
      fleet.images.filter((i) => i.extended).map(() => ({ ok: false, why: "image extensions extended its run image" })),
    );
    expect(scan.stdout).toMatch(/26 CNB app images, 4 other images, 0 unreadable/);
  });

  test("a re-scan of the unchanged fleet reads manifests' digests only and says nothing changed", async () => {
    const before = await inventory();
    const again = await cli(["fleet", "scan", registry.host, "--key", keys.pub, "-o", inventoryFile]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/30 unchanged since the last scan, 0 changed, 0 new, 0 gone/);
    expect(again.stdout).toMatch(/read 0 B in \d+ requests/);
    const after = await inventory();
    expect(after.images).toEqual(before.images);
  });

  test("through a proxy that fails every 5th request (500s and dropped connections), the same images", async () => {
    const proxy = await startFaultProxy(registry.host, 5);
    try {
      const out = join(e2e.work, "through-faults.json");
      const scan = await cli(["fleet", "scan", proxy.host, "-o", out]);
      expect(scan.code, scan.stderr).toBe(0);
      expect(proxy.faults).toBeGreaterThan(10);
      const viaProxy = JSON.parse(await readFile(out, "utf8")) as FleetInventory;
      const direct = await inventory();
      expect(viaProxy.images.map((r) => r.digest).sort()).toEqual(direct.images.map((r) => r.digest).sort());
      expect(viaProxy.errors).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});

describe("fleet query", () => {
  test("by run image behind, by package in Debian's and npm's ranges, unsigned, not rebasable, as JSON and CSV", async () => {
    const behind = await cli([
      "fleet",
      "query",
      "-i",
      inventoryFile,
      "--run-image",
      `${fleet.runRepository}:latest`,
      "--behind",
      "--json",
    ]);
    expect(behind.code, behind.stderr).toBe(0);
    const hits = (JSON.parse(behind.stdout) as { hits: { record: { repository: string; tags: string[] } }[] }).hits;
    const want = [
      ...fleet.images.filter((i) => i.behind).map((i) => i.ref),
      `${registry.host}/fleet/templates/app0:v1`,
    ];
    expect(hits.map((h) => `${h.record.repository}:${h.record.tags[0]}`).sort()).toEqual(want.sort());

    const libc = await cli(["fleet", "query", "-i", inventoryFile, "--package", "deb:libc6@>= 2.36"]);
    expect(libc.stdout).toMatch(/^26 of 26 images match$/m);
    const none = await cli(["fleet", "query", "-i", inventoryFile, "--package", "express@<4.0.0"]);
    expect(none.stdout.trim()).toBe("0 of 26 images match");
    const unsigned = await cli(["fleet", "query", "-i", inventoryFile, "--unsigned", "--not-rebasable", "--csv"]);
    const rows = unsigned.stdout.trim().split("\n");
    expect(rows[0]).toBe("image,digest,platform,run_image,signature,provenance,rebasable,built,why,running");
    const expected = fleet.images.filter((i) => !i.signed && i.extended).length;
    expect(rows.slice(1)).toHaveLength(expected);
    expect(
      rows.slice(1).every((r) => r.includes("unsigned; not rebasable: image extensions extended its run image")),
    ).toBe(true);
  });

  test("bad input is one line: a bad range, an inventory of another schema, an unreachable registry", async () => {
    const range = await cli(["fleet", "query", "-i", inventoryFile, "--package", "deb:libc6@>> two"]);
    expect(range.code).toBe(1);
    expect(range.stderr.trim().split("\n")[0]).toBe(
      `error: --package deb:libc6@>> two: ">> two" is not Debian relations, e.g. "<< 3.0.15-1~deb12u1" or ">= 2.36, << 2.37"`,
    );
    const other = join(e2e.work, "v0.json");
    await writeFile(other, JSON.stringify({ schema: "cnbkit.fleet.inventory/v0", images: [] }));
    const schema = await cli(["fleet", "query", "-i", other, "--unsigned"]);
    expect(schema.code).toBe(1);
    expect(schema.stderr).toMatch(
      /^error: inventory .*v0\.json has schema "cnbkit\.fleet\.inventory\/v0", and this cnbkit reads cnbkit\.fleet\.inventory\/v1$/m,
    );
    const port = await freePort();
    const gone = await cli(["fleet", "scan", `127.0.0.1:${port}`, "-o", join(e2e.work, "gone.json")]);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toBe(`error: cannot reach registry 127.0.0.1:${port}: connection refused`);
  });
});

describe("fleet rebase", () => {
  let report: FleetRebaseReport;
  test("rebases what is behind, signs each new digest, skips a tag pushed since the scan, and a re-run has nothing left", async () => {
    const behind = fleet.images.filter((i) => i.behind && !i.extended);
    // A team pushes a new version to one tag after the scan: it must not be overwritten.
    const pushed = behind[0]!.ref;
    await copyImage(await openImageSource(`${registry.host}/fleet/templates/app0:v2`), await openImageSink(pushed));
    // Another tag was rebased by hand already (as an interrupted run would leave it).
    const byHand = await cli(["rebase", behind[1]!.ref, "--run-image", `${fleet.runRepository}:latest`]);
    expect(byHand.code, byHand.stderr).toBe(0);

    const dry = await cli([
      "fleet",
      "rebase",
      "-i",
      inventoryFile,
      "--run-image",
      `${fleet.runRepository}:latest`,
      "--dry-run",
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(`^Plan: ${behind.length + 1} to rebase onto .*, \\d+ already on it, \\d+ cannot be rebased$`, "m"),
    );

    const reportFile = join(e2e.work, "rebase.json");
    accessLog.length = 0;
    const rebase = await cli([
      "fleet",
      "rebase",
      "-i",
      inventoryFile,
      "--key",
      keys.pub,
      "--run-image",
      `${fleet.runRepository}:latest`,
      "--sign-key",
      keys.key,
      "--report",
      reportFile,
    ]);
    expect(rebase.code, rebase.stderr).toBe(0);
    report = JSON.parse(await readFile(reportFile, "utf8")) as FleetRebaseReport;
    const kinds = (k: string) => report.outcomes.filter((o) => o.kind === k).map((o) => o.ref);
    expect(kinds("skipped")).toEqual([pushed]);
    expect(kinds("already")).toEqual([behind[1]!.ref]);
    expect(kinds("rebased")).toHaveLength(behind.length - 1);
    expect(kinds("failed")).toEqual([]);
    // Each run-image layer is checked (and mounted) in a repository once, however many of its
    // tags are rebased at once: a second mount rewrites the link a concurrent manifest PUT reads.
    const runLayers = (await (await openImageSource(`${fleet.runRepository}:latest`)).image()).manifest.manifest.layers;
    const placements = accessLog.flatMap((line) => {
      const m = /"(HEAD|POST) \/v2\/(\S+)\/blobs\/(?:uploads\/\?mount=)?(sha256(?::|%3A)[0-9a-f]{64})/i.exec(line);
      const digest = m?.[3]?.replace(/%3A/i, ":");
      return m && runLayers.some((l) => l.digest === digest) ? [`${m[1]} ${m[2]} ${digest}`] : [];
    });
    expect(placements.length).toBeGreaterThan(0);
    expect(placements.length).toBe(new Set(placements).size);
    expect(report.plan.cannot.every((c) => c.why === "image extensions extended its run image")).toBe(true);
    // The pushed tag still names what was pushed.
    const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${pushed}`]);
    expect(JSON.parse(stdout).Digest).toBe(
      (await (await openImageSource(`${registry.host}/fleet/templates/app0:v2`)).manifest()).digest,
    );

    const again = await cli([
      "fleet",
      "rebase",
      "-i",
      inventoryFile,
      "--key",
      keys.pub,
      "--run-image",
      `${fleet.runRepository}:latest`,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Plan: 0 to rebase onto /m);
  }, 300_000);

  test("the rebased images are on the new run image, cosign verifies them, skopeo reads them, and one answers", async () => {
    const rebased = report.outcomes.find((o) => o.kind === "rebased")!;
    const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${rebased.ref}`]);
    const layers = (JSON.parse(stdout) as { Layers: string[] }).Layers;
    const run2 = await (await openImageSource(`${fleet.runRepository}:latest`)).image();
    expect(layers.slice(0, run2.manifest.manifest.layers.length)).toEqual(
      run2.manifest.manifest.layers.map((l) => l.digest),
    );
    const verify = await cosign([
      "verify",
      "--key",
      keys.pub,
      "--insecure-ignore-tlog",
      "--allow-insecure-registry",
      rebased.ref,
    ]);
    expect(verify.code, verify.stderr).toBe(0);
    const att = await cosign([
      "verify-attestation",
      "--key",
      keys.pub,
      "--type",
      "slsaprovenance1",
      "--insecure-ignore-tlog",
      "--allow-insecure-registry",
      rebased.ref,
    ]);
    expect(att.code, att.stderr).toBe(0);
    expect(await getFromImage(rebased.ref)).toMatch(/^200 /);
    const inv = await inventory();
    // Counted by tag: the rebased template v1 is template v2 to the byte, so both tags name one record.
    const onV2 = inv.images.filter((r) => r.runImage.topLayer === run2.config.rootfs.diff_ids.at(-1));
    expect(onV2.flatMap((r) => r.tags)).toHaveLength(
      // every tag the rebase met (the skipped one names run image v2's template now), those on v2 already, the v2 template
      report.outcomes.length + fleet.images.filter((i) => !i.behind).length + 1,
    );
  }, 180_000);

  test("--kubernetes: the digests pods run, one no tag names any more; a query names the pods still behind", async () => {
    const rebased = report.outcomes.find((o) => o.kind === "rebased")!;
    if (rebased.kind !== "rebased") throw new Error("no rebased image");
    const repository = rebased.ref.slice(0, rebased.ref.lastIndexOf(":"));
    // The API server's pod list as a kubelet fills it: one pod still runs the digest from
    // before the rebase (its tag names the new one now), one runs the new one, one runs an
    // image loaded onto the node.
    const pods = {
      items: [
        { name: "web-old", imageID: `${repository}@${rebased.from}` },
        { name: "web-new", imageID: `${repository}@${rebased.to}` },
        { name: "debug", imageID: `sha256:${"0".repeat(64)}` },
      ].map((p) => ({
        metadata: { namespace: "shop", name: p.name },
        status: { containerStatuses: [{ name: "web", image: rebased.ref, imageID: p.imageID }] },
      })),
    };
    const api = http.createServer((req, res) => {
      const ok = req.headers.authorization === "Bearer fleet-token" && req.url === "/api/v1/pods?limit=500";
      res.writeHead(ok ? 200 : 403, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? pods : { message: `unexpected ${req.url}` }));
    });
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    try {
      const server = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      const kubeconfig = join(e2e.work, "kubeconfig");
      await writeFile(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "${server}"}\nusers:\n- name: u\n  user: {token: fleet-token}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n`,
      );
      const file = join(e2e.work, "cluster.json");
      const env = { env: { KUBECONFIG: kubeconfig, COSIGN_PASSWORD: PASSWORD } };
      const scan = await runCli(e2e.cli, ["fleet", "scan", "--kubernetes", "-o", file], undefined, env);
      expect(scan.code, scan.stderr).toBe(0);
      expect(scan.stderr).toContain(
        `Cluster ${server}: 3 pods run 2 image digests, 1 containers without a repository digest (not scanned)`,
      );
      const inv = JSON.parse(await readFile(file, "utf8")) as FleetInventory;
      expect(inv.cluster).toMatchObject({ server, pods: 3, images: 2, unresolved: [{ pod: "debug" }] });
      const byDigest = new Map(inv.images.map((r) => [r.digest, r]));
      expect(byDigest.get(rebased.from)).toMatchObject({
        tags: [],
        running: [{ namespace: "shop", pod: "web-old", container: "web" }],
      });
      expect(byDigest.get(rebased.to)?.running).toEqual([{ namespace: "shop", pod: "web-new", container: "web" }]);

      const query = await cli([
        "fleet",
        "query",
        "-i",
        file,
        "--running",
        "--run-image",
        `${fleet.runRepository}:latest`,
        "--behind",
      ]);
      expect(query.code, query.stderr).toBe(0);
      expect(query.stdout).toMatch(
        new RegExp(
          `^${repository}@${rebased.from}\\s.*\\sshop/web-old\\s+run image behind: .*; run by shop/web-old$`,
          "m",
        ),
      );
      expect(query.stdout).toMatch(/^1 of 2 images match$/m);

      // With the repository as a target too, the digest web-new runs is the one its tag
      // names: it is read once, by the tag, never again by digest.
      accessLog.length = 0;
      const bothFile = join(e2e.work, "cluster-and-repository.json");
      const both = await runCli(e2e.cli, ["fleet", "scan", "--kubernetes", repository, "-o", bothFile], undefined, env);
      expect(both.code, both.stderr).toBe(0);
      const name = repository.slice(repository.indexOf("/") + 1);
      const manifestReads = (ref: string) =>
        accessLog.filter((l) => / "(GET|HEAD) /.test(l) && l.includes(` /v2/${name}/manifests/${ref} `)).length;
      expect(manifestReads(rebased.to)).toBe(0);
      expect(manifestReads(rebased.from)).toBe(1);
      const again = new Map(
        (JSON.parse(await readFile(bothFile, "utf8")) as FleetInventory).images.map((r) => [r.digest, r]),
      );
      expect(again.get(rebased.to)?.tags).toContain(rebased.ref.slice(repository.length + 1));
      expect(again.get(rebased.to)?.running).toEqual([{ namespace: "shop", pod: "web-new", container: "web" }]);
    } finally {
      api.closeAllConnections();
      await new Promise((r) => api.close(r));
    }
  }, 120_000);
});
