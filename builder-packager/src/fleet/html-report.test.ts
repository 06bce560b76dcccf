import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { HIT_ROWS, htmlReport } from "./html-report.js";
import type { QueryHit } from "./query.js";
import { type FleetInventory, type ImageRecord, INVENTORY_SCHEMA, type ProofState } from "./inventory.js";
import { fleetFigures, UNKNOWN } from "./report-figures.js";

const run = promisify(execFile);
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// --- the fleet: 40 images of 10 repositories, on two digests of one run image ------------------

const RUN = "registry.example.com/cnbkit/run:debian-13";
const OLD_RUN = `sha256:${"a1".repeat(32)}` as const;
const NEW_RUN = `sha256:${"b2".repeat(32)}` as const;
const EVIL_TAG = "<script>alert(1)</script>";
const EVIL_VERSION = '1.0.0"><img src=x onerror=alert(1)>';
const N = 40;

/** Image `i` of the fleet; every property follows from `i`, so a test can count what to expect. */
function image(i: number): ImageRecord {
  const old = i % 8 < 3; // 15 of 40 on the old run image
  const day = old ? "2026-09-01" : "2026-11-01";
  const signature: ProofState = i === 5 ? "invalid" : (["verified", "verified", "present", "none"] as const)[i % 4]!;
  return {
    repository: `registry.example.com/team-${i % 2 ? "b" : "a"}/app-${i % 10}`,
    tags: i === 9 ? [EVIL_TAG] : [`v${Math.floor(i / 10)}`],
    digest: `sha256:${sha256(`image ${i}`)}`,
    platform: i % 4 === 3 ? "linux/arm64" : "linux/amd64",
    config: `sha256:${sha256(`config ${i}`)}`,
    built: { at: `${day}T${String(i % 24).padStart(2, "0")}:00:00Z`, from: "provenance" },
    buildpacks: [
      i % 2 === 0
        ? { id: "cnbkit/nodejs", version: ["1.2.0", "1.3.0", "1.3.1"][i % 3]! }
        : { id: "cnbkit/python", version: i === 11 ? EVIL_VERSION : i % 4 === 1 ? "0.9.0" : "1.0.0" },
      { id: "cnbkit/procfile", version: i % 10 === 0 ? "2.0.0" : i % 10 < 4 ? "2.1.0" : "10.0.0" },
    ],
    processes: [{ type: "web", command: ["node", "server.js"], default: true }],
    runImage: { image: RUN, reference: `${RUN.split(":")[0]}@${old ? OLD_RUN : NEW_RUN}`, topLayer: "sha256:ee" },
    rebasable:
      i % 13 === 12
        ? { ok: false, why: "image extensions changed the run image" }
        : i === 7
          ? { ok: false, why: 'run image <b>"gone"</b> not found' }
          : { ok: true },
    sbom: { source: "layer", ids: [] },
    signature,
    provenance: i % 3 === 0 ? "none" : "verified",
  };
}

function fleet(images: ImageRecord[] = Array.from({ length: N }, (_, i) => image(i))): FleetInventory {
  return {
    schema: INVENTORY_SCHEMA,
    scannedAt: "2026-11-27T06:00:00Z",
    sources: ["registry.example.com/team-a/", "registry.example.com/team-b/"],
    images,
    others: [
      {
        repository: "registry.example.com/team-a/postgres",
        tags: ["16"],
        digest: `sha256:${"f".repeat(64)}`,
        why: "no io.buildpacks.lifecycle.metadata label",
      },
    ],
    errors: [{ ref: "registry.example.com/team-b/broken:1", error: "manifest unknown" }],
    sboms: {},
  };
}

const NOW = new Date("2026-11-27T09:00:00Z");
const inventory = fleet();
/** A query that matched the images on the old run image (the old OpenSSL is in it). */
const hits: QueryHit[] = inventory.images
  .filter((r) => r.runImage.reference?.endsWith(OLD_RUN))
  .map((record) => ({ record, why: ["libssl3 3.0.11-1~deb12u2 << 3.0.15"] }));
const query = { description: "--package libssl3@<< 3.0.15", hits };
const count = (test: (r: ImageRecord) => boolean) => inventory.images.filter(test).length;

describe("the figures", () => {
  const f = fleetFigures(inventory);

  test("count images, repositories, exceptions and platforms", () => {
    expect([f.images, f.repositories, f.others, f.errors]).toEqual([N, 10, 1, 1]);
    expect(f.platforms).toEqual([
      { key: "linux/amd64", count: 30 },
      { key: "linux/arm64", count: 10 },
    ]);
  });

  test("the newest run image of a name is the one its most recent build used, and the rest are behind", () => {
    expect(f.behind).toBe(15);
    expect(f.runImages).toHaveLength(1);
    const [name] = f.runImages;
    expect(name).toMatchObject({ name: RUN, images: N, behind: 15, newestFrom: "latest build" });
    expect(name!.runImages.map((r) => [r.id, r.images, r.newest, r.firstBuilt])).toEqual([
      [NEW_RUN, 25, true, "2026-11-01T03:00:00.000Z"],
      [OLD_RUN, 15, false, "2026-09-01T00:00:00.000Z"],
    ]);
  });

  test("a digest given as the name's newest counts every image on another one as behind, even if no image is on it yet", () => {
    const patched = `sha256:${"9".repeat(64)}`;
    const g = fleetFigures(inventory, { latestRunImages: { [RUN]: patched } });
    expect(g.behind).toBe(N);
    expect(g.runImages[0]!.runImages[0]).toEqual({ id: patched, images: 0, newest: true });
    expect(g.runImages[0]!.newestFrom).toBe("given");
  });

  test("an image whose run image was not recorded is neither newest nor behind", () => {
    const bare = { ...image(1), runImage: {} };
    const onlyTop = { ...image(2), runImage: { topLayer: "sha256:77" } };
    const g = fleetFigures(fleet([image(0), bare, onlyTop]));
    expect(g.behind).toBe(0);
    expect(g.runImages.map((n) => [n.name, n.runImages.map((r) => [r.id, r.newest])])).toEqual([
      [RUN, [[OLD_RUN, true]]],
      [
        UNKNOWN,
        [
          ["top layer sha256:77", false],
          ["unknown", false],
        ],
      ],
    ]);
  });

  test("buildpack versions go newest first in semver order (10.0.0 above 2.1.0), with image counts", () => {
    const procfile = f.buildpacks.find((b) => b.id === "cnbkit/procfile")!;
    expect(procfile.images).toBe(N);
    expect(procfile.versions).toEqual([
      { key: "10.0.0", count: 24 },
      { key: "2.1.0", count: 12 },
      { key: "2.0.0", count: 4 },
    ]);
    expect(f.buildpacks.map((b) => [b.id, b.images])).toEqual([
      ["cnbkit/procfile", 40],
      ["cnbkit/nodejs", 20],
      ["cnbkit/python", 20],
    ]);
    expect(f.buildpacks[1]!.versions.map((v) => v.key)).toEqual(["1.3.1", "1.3.0", "1.2.0"]);
  });

  test("signature and provenance states, and why images are not rebasable", () => {
    expect(f.signature).toEqual({
      verified: count((r) => r.signature === "verified"),
      present: count((r) => r.signature === "present"),
      none: count((r) => r.signature === "none"),
      invalid: 1,
    });
    expect(f.provenance).toEqual({ verified: 26, present: 0, none: 14, invalid: 0 });
    expect(f.rebasable).toBe(N - 4);
    expect(f.notRebasable).toEqual([
      { key: "image extensions changed the run image", count: 3 },
      { key: 'run image <b>"gone"</b> not found', count: 1 },
    ]);
  });
});

describe("the page", () => {
  const html = htmlReport(inventory, { title: 'Team <A> & "B"', query, now: NOW });

  test("escapes every string from the inventory and the query: no markup of theirs gets through", () => {
    const evil = fleet([
      ...inventory.images,
      {
        ...image(3),
        repository: 'registry.example.com/"><img src=x onerror=alert(2)>',
        runImage: { image: "<script>x()</script>", reference: "r@<i>" },
      },
    ]);
    evil.others[0]!.why = "<script>alert(3)</script>";
    evil.errors[0]!.error = "<img src=x onerror=alert(4)>";
    evil.sources = ["<svg onload=alert(5)>"];
    const page = htmlReport(evil, {
      title: "<script>alert(6)</script>",
      query: {
        description: '"><img src=x onerror=alert(7)>',
        hits: [evil.images[9]!, evil.images.at(-1)!].map((record) => ({ record, why: ["<script>alert(8)</script>"] })),
      },
      now: NOW,
    });
    expect(page).not.toMatch(/<script|<img|<svg onload|<b>"gone|<i>/i);
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("1.0.0&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(page).toContain("registry.example.com/&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
    expect(page).toContain("run image &lt;b&gt;&quot;gone&quot;&lt;/b&gt; not found");
    for (const n of [3, 4, 5, 6, 7, 8]) expect(page).toContain(`alert(${n})`);
    // A second wall: the page allows no script and no fetch at all.
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  test("an empty fleet, or a query that matched nothing, is a page that says so", () => {
    const empty = { ...fleet([]), others: [], errors: [] };
    const page = text(htmlReport(empty, { query: { description: "--unsigned", hits: [] }, now: NOW }));
    expect(page).toContain("0 of 0 images behind the newest run image of their name");
    expect(page).toContain("0 of 0 images match --unsigned No image matched.");
    expect(page).toContain("No buildpacks recorded.");
    expect(page).not.toMatch(/NaN|Infinity|undefined/);
  });

  test("fleet query --run-image REF --abi: the page sums up who could move, who could not and why (commonest reasons first), and who has no needs", () => {
    const target = "registry.example.com/cnbkit/run:debian-14";
    const glibc = `could not move onto ${target}: needs GLIBC_2.42 (libc.so.6), which it does not provide (by /layers/x/bin/node)`;
    const jpeg = `could not move onto ${target}: needs libjpeg.so.62, which it does not provide (by /layers/j/lib/libjavajpeg.so)`;
    const verdicts: QueryHit["abi"][] = [
      { verdict: "can", why: `could move onto ${target} (glibc 2.41)` },
      { verdict: "can", why: `could move onto ${target} (glibc 2.41)` },
      { verdict: "can", why: `could move onto ${target} (glibc 2.41)` },
      { verdict: "cannot", why: `${glibc} (and 2 more)` },
      { verdict: "cannot", why: glibc },
      { verdict: "cannot", why: jpeg },
      {
        verdict: "unknown",
        why: "no needs recorded (built before cnbkit recorded them): fleet rebase reads its layers to decide",
      },
    ];
    const abiHits = verdicts.map((abi, i) => ({ record: image(i), why: [abi?.why ?? ""], abi }));
    const description = `--run-image ${target} --abi`;
    const page = text(htmlReport(inventory, { query: { description, hits: abiHits }, now: NOW }));
    expect(page).toContain(`7 of 40 images match ${description} 3 could move · 3 could not · 1 no needs recorded `);
    const reasons = page.slice(page.indexOf("no needs recorded "), page.indexOf("Image Platform"));
    expect(reasons).toContain("2 needs GLIBC_2.42 (libc.so.6), which it does not provide (by /layers/x/bin/node)");
    expect(reasons.indexOf("2 needs GLIBC_2.42")).toBeLessThan(reasons.indexOf("1 needs libjpeg.so.62"));
    // A query without --abi has no summary.
    expect(html).not.toContain('abi-summary"');
  });

  test("a run image's newest digest, when given, is what the page compares against", () => {
    const patched = `sha256:${"9".repeat(64)}`;
    const page = text(htmlReport(inventory, { latestRunImages: { [RUN]: patched }, now: NOW }));
    expect(page).toContain("40 of 40 behind · newest: what the name points at now");
    expect(page).toContain("sha256:999999999999 0 (0%)newest");
  });

  test("is one self-contained page: no script, nothing fetched", () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\((?!#clip-)|https?:/i);
  });

  test("is the same bytes for the same inventory and time", () => {
    expect(htmlReport(fleet(), { title: 'Team <A> & "B"', query, now: NOW })).toBe(html);
  });

  test(`lists at most ${HIT_ROWS} hits and counts the rest in one line`, () => {
    const many = Array.from({ length: HIT_ROWS + 234 }, (_, i) => ({ record: image(i % N), why: [`hit ${i}`] }));
    const page = htmlReport(inventory, { query: { description: "--unsigned", hits: many }, now: NOW });
    expect(page.match(/<tr><td class="ref">/g)).toHaveLength(HIT_ROWS);
    expect(page).toContain(`hit ${HIT_ROWS - 1}<`);
    expect(page).not.toContain(`hit ${HIT_ROWS}<`);
    expect(text(page)).toContain("and 234 more: --csv or --json lists them all");
    expect(text(page)).toContain("1,234 of 40 images match --unsigned");
  });

  test("a 10,000-image fleet is drawn from aggregates: a page of a few hundred KB with a full hits table", () => {
    const big = fleet(
      Array.from({ length: 10_000 }, (_, i) => ({
        ...image(i % N),
        digest: `sha256:${i.toString(16).padStart(64, "0")}`,
      })),
    );
    const page = htmlReport(big, {
      query: { description: "--unsigned", hits: big.images.map((record) => ({ record, why: ["unsigned"] })) },
      now: NOW,
    });
    expect(text(page)).toContain("3,750 of 10,000 images behind the newest run image of their name");
    expect(Buffer.byteLength(page)).toBeLessThan(1_000_000);
  });
});

// --- in a real browser ---------------------------------------------------------------------

test("Chromium shows the charts: labels and counts in the DOM, the chart colours in the screenshot, light and dark", async () => {
  const chromium = ["chromium", "chromium-browser"].find((c) => {
    try {
      return execFileSync("sh", ["-c", `command -v ${c}`]).length > 0;
    } catch {
      return false;
    }
  });
  if (!chromium)
    throw new Error("chromium is not installed: apt-get install -y chromium (scripts/setup.sh installs it)");
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-"));
  dirs.push(dir);
  const page = htmlReport(inventory, { query, now: NOW });
  await writeFile(join(dir, "fleet.html"), page);
  // A copy that reports where each section landed, so the screenshot can be checked section by
  // section. The report itself has no script (its CSP forbids one), so the probe goes in a copy
  // without the CSP; the dark run loads the report as written, where no script may run.
  const probe = `<script>document.documentElement.dataset.boxes = JSON.stringify([...document.querySelectorAll("section[id]")].map((s) => { const r = s.getBoundingClientRect(); return [s.id, r.top, r.bottom, r.left, r.right]; }));</script>`;
  await writeFile(
    join(dir, "probe.html"),
    page.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "").replace("</body>", `${probe}</body>`),
  );
  const shot = (name: string, html: string, flags: string[]) =>
    run(
      chromium,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        `--user-data-dir=${join(dir, `profile-${name}`)}`,
        `--screenshot=${join(dir, `${name}.png`)}`,
        "--window-size=1280,2400",
        "--dump-dom",
        ...flags,
        `file://${join(dir, html)}`,
      ],
      { maxBuffer: 64 << 20 },
    );
  const [light, dark] = await Promise.all([
    shot("light", "probe.html", []),
    shot("dark", "fleet.html", ["--force-dark-mode"]),
  ]);

  // To look at the page and the screenshots yourself: CNBKIT_REPORT_SHOTS=<dir> keeps a copy there.
  if (process.env.CNBKIT_REPORT_SHOTS) await cp(dir, process.env.CNBKIT_REPORT_SHOTS, { recursive: true });
  // What the browser made of the report as written (its CSP lets no script run).
  const dom = dark.stdout;
  const shown = text(dom);
  expect(shown).toContain("15 of 40 images behind the newest run image of their name");
  expect(shown).toContain("15 of 40 images match --package libssl3@<< 3.0.15");
  expect(shown).toContain("sha256:b2b2b2b2b2b2 first build on it 2026-11-01 · 26 days ago 25 (63%)newest");
  expect(shown).toContain("sha256:a1a1a1a1a1a1 first build on it 2026-09-01 · 87 days ago 15 (38%)behind");
  for (const label of [
    "cnbkit/procfile",
    "10.0.0",
    "2.1.0",
    "cnbkit/nodejs",
    "1.3.1",
    "image extensions changed the run image",
  ]) {
    expect(shown).toContain(label);
  }
  expect(shown).toContain("40 images · 24 on the newest, 16 on older versions");
  expect(shown).toContain("verified 19 48%");
  expect(shown).toContain("invalid 1 3%");
  expect(shown).toContain("rebasable 36 90%");
  expect(shown).toContain(`app-9:${EVIL_TAG}`); // shown as text...
  expect(dom).not.toMatch(/<script|<img/i); // ...and never made an element
  expect(dom.match(/<tr><td class="ref">/g)).toHaveLength(15);

  // The light screenshot: its background, and each section's chart colours inside that section.
  const png = decodePng(await readFile(join(dir, "light.png")));
  expect([png.width, png.height]).toEqual([1280, 2400]);
  // Each section's [top, bottom, left, right] in CSS pixels, which are the screenshot's pixels.
  type Box = [id: string, top: number, bottom: number, left: number, right: number];
  const placed = JSON.parse(/data-boxes="([^"]*)"/.exec(light.stdout)![1]!.replaceAll("&quot;", '"')) as Box[];
  const boxes = new Map(placed.map(([id, ...box]) => [id, box]));
  const inBox = (id: string) => {
    const [top, bottom, left, right] = boxes.get(id)!;
    expect(bottom).toBeLessThanOrEqual(png.height); // the section is inside the screenshot
    return (rgb: string) => longestRun(png, rgb, top, bottom, left, right);
  };
  expect(png.pixel(5, 5)).toBe("f3f5f8");
  expect(nonBackground(png, "f3f5f8")).toBeGreaterThan(0.3); // panels, bars and text: not a blank page
  const q = inBox("query");
  expect(q(HIT)).toBeGreaterThan(300); // the hits meter: 15 of 40 of the panel's width
  const runs = inBox("run-images");
  // Bars in proportion: the newest run image's 25 images against the old one's 15.
  expect(runs(OK) / runs(WARN)).toBeCloseTo(25 / 15, 1);
  const proofs = inBox("proofs");
  for (const colour of [OK, INFO, NONE, BAD]) expect(proofs(colour)).toBeGreaterThan(8);
  const bps = inBox("buildpacks");
  expect(bps(OK)).toBeGreaterThan(100);
  expect(bps(OLD)).toBeGreaterThan(50);

  // The dark screenshot: the same page under prefers-color-scheme: dark, down to the hits meter.
  const night = decodePng(await readFile(join(dir, "dark.png")), boxes.get("query")![0] + 150);
  expect(night.pixel(5, 5)).toBe("0e131a");
  expect(longestRun(night, "a27ef2", 0, night.height, 0, night.width)).toBeGreaterThan(300);
}, 60_000);

// The light theme's tones (html-report.ts's stylesheet).
const OK = "23895a";
const INFO = "5b9be8";
const WARN = "e8a23a";
const BAD = "b3261e";
const OLD = "8d9bb0";
const NONE = "cfd6df";
const HIT = "6d46c9";

/** The text a reader sees: tooltips and the stylesheet dropped, blocks apart, entities decoded, spaces folded. */
function text(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>|<title>[\s\S]*?<\/title>/g, "")
    .replace(/<\/?(?:text|div|p|li|td|th|tr|h[1-6]|section|header|footer|summary)\b[^>]*>/g, " ")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

interface Png {
  width: number;
  height: number;
  /** The pixel at x, y as `rrggbb`. */
  pixel(x: number, y: number): string;
  rgb: Uint8Array;
}

/**
 * A PNG as Chromium writes screenshots: 8-bit RGB or RGBA, not interlaced (anything else fails).
 * Only the top `rows` rows when given (each row is unfiltered against the one above it, so a
 * prefix is as cheap as it sounds).
 */
function decodePng(file: Buffer, rows?: number): Png {
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < file.length) {
    const len = file.readUInt32BE(at);
    const type = file.toString("latin1", at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = data.subarray(8);
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace)
        throw new Error(`PNG depth ${depth} colour ${colour} interlace ${interlace}`);
      channels = colour === 6 ? 4 : 3;
    }
    if (type === "IDAT") idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  if (rows !== undefined) height = Math.min(height, rows);
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[row + x - channels]! : 0;
      const b = y ? out[row - stride + x]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const c = x >= channels && y ? out[row - stride + x - channels]! : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[row + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(out.subarray(i * channels, i * channels + 3), i * 3);
  const hex = (i: number) => Buffer.from(rgb.subarray(i * 3, i * 3 + 3)).toString("hex");
  return { width, height, rgb, pixel: (x, y) => hex(y * width + x) };
}

/** The longest horizontal run of one colour (within 3 per channel) inside a box of the page. */
function longestRun(png: Png, rgb: string, top: number, bottom: number, left: number, right: number): number {
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(rgb.slice(i, i + 2), 16)) as [number, number, number];
  const px = png.rgb;
  let best = 0;
  for (let y = Math.max(0, Math.floor(top)); y < Math.min(png.height, bottom); y++) {
    let length = 0;
    for (let x = Math.max(0, Math.floor(left)); x < Math.min(png.width, right); x++) {
      const i = (y * png.width + x) * 3;
      const near = Math.abs(px[i]! - r) <= 3 && Math.abs(px[i + 1]! - g) <= 3 && Math.abs(px[i + 2]! - b) <= 3;
      length = near ? length + 1 : 0;
      if (length > best) best = length;
    }
  }
  return best;
}

/** The share of pixels that are not the page's background. */
function nonBackground(png: Png, background: string): number {
  const bg = Buffer.from(background, "hex");
  const px = png.rgb;
  let n = 0;
  for (let i = 0; i < px.length; i += 3) if (px[i] !== bg[0] || px[i + 1] !== bg[1] || px[i + 2] !== bg[2]) n++;
  return n / (png.width * png.height);
}
