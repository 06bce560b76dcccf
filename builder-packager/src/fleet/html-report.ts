/**
 * `cnbkit fleet query --html FILE`: one self-contained page for an operations team that would
 * rather look than read. The fleet at a glance (run images and how many images are behind,
 * buildpack versions, signed and attested shares, rebasable or not and why) as charts, and the
 * query's hits as a table.
 *
 * The page is one file with inline CSS and inline SVG and no script at all, so it opens from a
 * CI artifact, a mail or a file share, offline, with JavaScript off. Image names, tags, labels
 * and package names come from registries anyone may push to, so every such string is escaped,
 * and a Content-Security-Policy forbids scripts and any network fetch as a second wall.
 * Charts draw aggregates only (a 10,000-image fleet is a few dozen bars); only the hits table
 * lists images, up to {@link HIT_ROWS} of them.
 */
import type { Bar } from "./html-charts.js";
import { fmtCount } from "./format-count.js";
import { barChart, esc, fmtAgo, fmtPercent, fmtTime, plural, stackedBar } from "./html-charts.js";
import { type FleetInventory, recordRef } from "./inventory.js";
import type { QueryHit } from "./query.js";
import { type FleetFigures, fleetFigures, UNKNOWN } from "./report-figures.js";

/** Options of {@link htmlReport}. */
export interface HtmlReportOptions {
  /** The page's heading and title (`Fleet report` when not given). */
  title?: string;
  /** The query that was run (`--package openssl@<< 3.0.15`) and the images it matched, in the order to list them. */
  query?: { description: string; hits: QueryHit[] };
  /** The time the report is made at, for ages ("56 days ago"); give it for byte-identical pages. */
  now?: Date;
  /**
   * The digest each run-image name points at now (as `--run-image REF --behind` resolved it).
   * Without it, a name's newest run image is the one its most recent build used.
   */
  latestRunImages?: Record<string, string>;
}

/** The most rows the hits table lists; the rest are counted in one line (`--csv` lists them all). */
export const HIT_ROWS = 1000;
/** The most run-image names, run images per name, buildpacks, versions per buildpack and reasons drawn. */
const MAX = { names: 20, runImages: 10, buildpacks: 48, versions: 8, reasons: 10, listed: 200 };

/** Widths (CSS px) of a full-width and a half-width chart inside the page's 1,160 px column. */
const FULL = 1110;
const HALF = 520;

/**
 * Renders the fleet report as one HTML page (a string of UTF-8 text to write to a `.html` file).
 *
 * @example
 * await writeFile("fleet.html", htmlReport(inventory, { query: { description: "--unsigned", hits }, now: new Date() }));
 */
export function htmlReport(inventory: FleetInventory, options: HtmlReportOptions = {}): string {
  const now = options.now ?? new Date();
  const f = fleetFigures(inventory, options.latestRunImages ? { latestRunImages: options.latestRunImages } : {});
  const title = options.title ?? "Fleet report";
  const body = [
    header(inventory, title, now),
    summary(f, now),
    glance(f),
    options.query ? querySection(options.query, f.images) : "",
    runImages(f, now),
    `<div class="cols">${proofs(f)}${rebasable(f)}</div>`,
    buildpacks(f),
    othersAndErrors(inventory),
    `<footer>Made by <code>cnbkit fleet query</code> on ${esc(fmtTime(now.toISOString()))} from an inventory of schema <code>${esc(inventory.schema)}</code>.</footer>`,
  ].join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function header(inv: FleetInventory, title: string, now: Date): string {
  const sources = inv.sources.length ? `from ${inv.sources.map((s) => `<code>${esc(s)}</code>`).join(", ")}` : "";
  const key = inv.key
    ? `signatures checked against key <code>${esc(short(inv.key))}</code>`
    : "no key given: signatures found but not checked";
  return `<header><h1>${esc(title)}</h1><p class="sub">Scanned ${esc(fmtTime(inv.scannedAt))} (${esc(fmtAgo(inv.scannedAt, now))}) ${sources} · ${key}</p></header>`;
}

function summary(f: FleetFigures, now: Date): string {
  const platforms = f.platforms
    .slice(0, 3)
    .map((p) => `${fmtCount(p.count)} ${esc(p.key)}`)
    .join(" · ");
  return `<section class="tiles" aria-label="summary">${[
    tile(fmtCount(f.images), f.images === 1 ? "image" : "images", platforms),
    tile(fmtCount(f.repositories), f.repositories === 1 ? "repository" : "repositories", "holding CNB app images"),
    tile(
      fmtCount(f.others),
      f.others === 1 ? "non-CNB image" : "non-CNB images",
      "counted, named at the end",
      f.others ? "old" : undefined,
    ),
    tile(
      fmtCount(f.errors),
      f.errors === 1 ? "scan error" : "scan errors",
      f.errors ? "named at the end" : "every image read",
      f.errors ? "bad" : "ok",
    ),
    tile(
      esc(fmtTime(f.scannedAt).slice(0, 10)),
      "scanned",
      esc(`${fmtTime(f.scannedAt).slice(11)} · ${fmtAgo(f.scannedAt, now)}`),
    ),
  ].join("")}</section>`;
}

function tile(big: string, caption: string, sub: string, tone?: string): string {
  return `<div class="tile${tone ? ` accent-${tone}` : ""}"><div class="big">${big}</div><div class="cap">${caption}</div><div class="sub">${sub}</div></div>`;
}

/** The four questions an ops team asks first, each a number over the whole fleet with a meter. */
function glance(f: FleetFigures): string {
  const unsigned = f.signature.none + f.signature.invalid;
  const unproven = f.provenance.none + f.provenance.invalid;
  const notRebasable = f.images - f.rebasable;
  const meter = (n: number, tone: string) =>
    `<div class="meter"><span class="tone-${tone}" style="width:${f.images ? ((n / f.images) * 100).toFixed(1) : 0}%"></span></div>`;
  const card = (n: number, tone: string, what: string, sub: string) =>
    `<div class="glance accent-${n ? tone : "ok"}"><div class="big">${fmtCount(n)}<span class="of"> of ${fmtCount(f.images)}</span></div><div class="cap">${what}</div>${meter(n, n ? tone : "ok")}<div class="sub">${sub}</div></div>`;
  return `<section class="tiles glances" aria-label="at a glance">${[
    card(
      f.behind,
      "warn",
      "behind their run image",
      f.behind ? "a rebase moves them onto the newest" : "all on the newest run image",
    ),
    card(unsigned, f.signature.invalid ? "bad" : "warn", "unsigned", proofNote(f.signature, "no cosign signature")),
    card(
      unproven,
      f.provenance.invalid ? "bad" : "warn",
      "without provenance",
      proofNote(f.provenance, "no SLSA provenance"),
    ),
    card(notRebasable, "bad", "not rebasable", notRebasable ? "reasons below" : "every image can be rebased"),
  ].join("")}</section>`;
}

/** What the unsigned (or unattested) count is made of, the invalid ones named since they are the alarming part. */
function proofNote(p: FleetFigures["signature"], none: string): string {
  if (!p.invalid) return p.none ? none : "every image has one";
  return `${fmtCount(p.none)} with none, <b>${fmtCount(p.invalid)} invalid</b>`;
}

function querySection(query: NonNullable<HtmlReportOptions["query"]>, images: number): string {
  const n = query.hits.length;
  const rows = query.hits
    .slice(0, HIT_ROWS)
    .map(
      (h) =>
        `<tr><td class="ref">${esc(recordRef(h.record))}</td><td>${esc(h.record.platform)}</td><td class="mono">${esc(short(h.record.digest))}</td><td>${h.why.map((w) => `<div>${esc(w)}</div>`).join("")}</td></tr>`,
    )
    .join("\n");
  const more =
    n > HIT_ROWS
      ? `<p class="more">and ${fmtCount(n - HIT_ROWS)} more: <code>--csv</code> or <code>--json</code> lists them all</p>`
      : "";
  const table = n
    ? `<div class="scroll"><table><thead><tr><th>Image</th><th>Platform</th><th>Digest</th><th>Why it matched</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>${more}`
    : `<p class="none">No image matched.</p>`;
  return `<section class="panel query" id="query"><h2>Query</h2><p class="headline"><b class="tone-text-hit">${fmtCount(n)}</b> of ${fmtCount(images)} images match <code>${esc(query.description)}</code></p><div class="meter wide"><span class="tone-hit" style="width:${images ? ((n / images) * 100).toFixed(1) : 0}%"></span></div>${abiSummary(query.hits)}${table}</section>`;
}

/** How many of the most common reasons an image could not move the ABI summary names. */
const ABI_REASONS = 3;

/**
 * With `fleet query --run-image REF --abi`: how many hits could move onto the run image, how
 * many could not (with the commonest reasons, so a team sees the one library or glibc version
 * that holds most of them back), and how many have no needs recorded (fleet rebase reads their
 * layers then). Empty when the query weighed no ABI.
 */
function abiSummary(hits: QueryHit[]): string {
  const verdicts = hits.flatMap((h) => (h.abi ? [h.abi] : []));
  if (verdicts.length === 0) return "";
  const count = (v: string) => verdicts.filter((x) => x.verdict === v).length;
  const parts = [
    { n: count("can"), text: "could move", tone: "ok" },
    { n: count("cannot"), text: "could not", tone: "bad" },
    { n: count("unknown"), text: "no needs recorded", tone: "none" },
  ];
  const bar = parts
    .filter((p) => p.n > 0)
    .map((p) => `<span class="tone-${p.tone}" style="width:${((p.n / verdicts.length) * 100).toFixed(1)}%"></span>`)
    .join("");
  const reasons = new Map<string, number>();
  for (const v of verdicts) {
    if (v.verdict !== "cannot") continue;
    // "could not move onto REF: <gap> (and 2 more)": the gap is the reason; images share it.
    const gap = v.why.replace(/^could not move onto .*?: /, "").replace(/ \(and \d+ more\)$/, "");
    reasons.set(gap, (reasons.get(gap) ?? 0) + 1);
  }
  const top = [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, ABI_REASONS);
  const list = top.length
    ? `<ul class="abi-reasons">${top.map(([gap, n]) => `<li><b>${fmtCount(n)}</b> ${esc(gap)}</li>`).join("")}</ul>`
    : "";
  const line = parts.map((p) => `<b class="tone-text-${p.tone}">${fmtCount(p.n)}</b> ${p.text}`).join(" · ");
  return `<div class="abi-summary"><p>${line}</p><div class="meter stacked">${bar}</div>${list}</div>`;
}

function runImages(f: FleetFigures, now: Date): string {
  const names = f.runImages.slice(0, MAX.names).map((name) => {
    const shown = name.runImages.slice(0, MAX.runImages);
    const rest = name.runImages.slice(MAX.runImages);
    const bars: Bar[] = shown.map((r) => ({
      label: r.id === "unknown" ? "digest not recorded" : short(r.id),
      // Its age, as far as the inventory tells: the first build on it.
      ...(r.firstBuilt
        ? { note: `first build on it ${fmtTime(r.firstBuilt).slice(0, 10)} · ${fmtAgo(r.firstBuilt, now)}` }
        : {}),
      value: r.images,
      tone: r.newest ? "ok" : name.name === UNKNOWN || r.id === "unknown" ? "none" : "warn",
      ...(r.newest ? { badge: "newest" } : r.id === "unknown" || name.name === UNKNOWN ? {} : { badge: "behind" }),
    }));
    if (rest.length) {
      bars.push({
        label: `${plural(rest.length, "older run image")}`,
        value: rest.reduce((n, r) => n + r.images, 0),
        tone: "warn",
        badge: "behind",
      });
    }
    const newestFrom =
      name.newestFrom === "given"
        ? "newest: what the name points at now"
        : "newest: the run image of the most recent build";
    const sub =
      name.name === UNKNOWN
        ? "the lifecycle recorded no run image for these"
        : `<b>${fmtCount(name.behind)}</b> of ${fmtCount(name.images)} behind · ${newestFrom}`;
    return `<div class="group"><h3><span class="mono">${esc(name.name)}</span></h3><p class="sub">${sub}</p>${barChart(bars, { title: `images on each run image of ${name.name}`, width: FULL, labelWidth: 330, total: name.images })}</div>`;
  });
  const moreNames =
    f.runImages.length > MAX.names
      ? `<p class="more">and ${fmtCount(f.runImages.length - MAX.names)} more run-image names</p>`
      : "";
  return `<section class="panel" id="run-images"><h2>Run images</h2><p class="headline"><b class="tone-text-${f.behind ? "warn" : "ok"}">${fmtCount(f.behind)}</b> of ${fmtCount(f.images)} images behind the newest run image of their name</p>${names.join("")}${moreNames}</section>`;
}

function proofs(f: FleetFigures): string {
  const segments = (p: FleetFigures["signature"]) => [
    { label: "verified", value: p.verified, tone: "ok" as const },
    { label: "present, not checked", value: p.present, tone: "info" as const },
    { label: "none", value: p.none, tone: "none" as const },
    { label: "invalid", value: p.invalid, tone: "bad" as const },
  ];
  const signed = f.signature.verified + f.signature.present;
  const proven = f.provenance.verified + f.provenance.present;
  return `<section class="panel" id="proofs"><h2>Signatures and provenance</h2><h3>Signature</h3><p class="sub"><b>${fmtPercent(signed, f.images)}</b> signed (${fmtCount(signed)} of ${fmtCount(f.images)})</p>${stackedBar(segments(f.signature), { title: "signature", width: HALF })}<h3>Provenance</h3><p class="sub"><b>${fmtPercent(proven, f.images)}</b> with provenance (${fmtCount(proven)} of ${fmtCount(f.images)})</p>${stackedBar(segments(f.provenance), { title: "provenance", width: HALF })}</section>`;
}

function rebasable(f: FleetFigures): string {
  const not = f.images - f.rebasable;
  const shown = f.notRebasable.slice(0, MAX.reasons);
  const rest = f.notRebasable.slice(MAX.reasons);
  const bars: Bar[] = shown.map((r) => ({ label: r.key, value: r.count, tone: "bad" }));
  if (rest.length)
    bars.push({
      label: plural(rest.length, "other reason"),
      value: rest.reduce((n, r) => n + r.count, 0),
      tone: "bad",
    });
  const reasons = bars.length
    ? `<h3>Why not</h3>${barChart(bars, { title: "why images are not rebasable", width: HALF, labelWidth: 0, labelsAbove: true, total: not })}`
    : "";
  return `<section class="panel" id="rebasable"><h2>Rebasable</h2><p class="sub"><b>${fmtPercent(f.rebasable, f.images)}</b> can be rebased onto a patched run image</p>${stackedBar(
    [
      { label: "rebasable", value: f.rebasable, tone: "ok" },
      { label: "not rebasable", value: not, tone: "bad" },
    ],
    { title: "rebasable", width: HALF },
  )}${reasons}</section>`;
}

function buildpacks(f: FleetFigures): string {
  const cards = f.buildpacks.slice(0, MAX.buildpacks).map((bp) => {
    const shown = bp.versions.slice(0, MAX.versions);
    const rest = bp.versions.slice(MAX.versions);
    const bars: Bar[] = shown.map((v, i) => ({
      label: v.key,
      value: v.count,
      tone: i === 0 ? "ok" : "old",
      ...(i === 0 ? { badge: "newest" } : {}),
    }));
    if (rest.length)
      bars.push({
        label: plural(rest.length, "older version"),
        value: rest.reduce((n, v) => n + v.count, 0),
        tone: "old",
      });
    const onNewest = shown[0]?.count ?? 0;
    return `<div class="bp"><h3 class="mono">${esc(bp.id)}</h3><p class="sub">${plural(bp.images, "image")} · <b>${fmtCount(onNewest)}</b> on the newest, ${fmtCount(bp.images - onNewest)} on older versions</p>${barChart(bars, { title: `images on each version of ${bp.id}`, width: HALF, labelWidth: 150, tail: 170, total: bp.images })}</div>`;
  });
  const more =
    f.buildpacks.length > MAX.buildpacks
      ? `<p class="more">and ${fmtCount(f.buildpacks.length - MAX.buildpacks)} more buildpacks</p>`
      : "";
  const none = f.buildpacks.length ? "" : `<p class="none">No buildpacks recorded.</p>`;
  return `<section class="panel" id="buildpacks"><h2>Buildpack versions</h2><p class="headline">${plural(f.buildpacks.length, "buildpack")} across ${plural(f.images, "image")}</p><div class="bps">${cards.join("")}</div>${more}${none}</section>`;
}

/** Non-CNB images and scan errors, named (folded away: they are the exceptions, not the fleet). */
function othersAndErrors(inv: FleetInventory): string {
  const list = <T>(items: T[], line: (x: T) => string) =>
    `<ul class="plain">${items
      .slice(0, MAX.listed)
      .map((x) => `<li>${line(x)}</li>`)
      .join(
        "",
      )}${items.length > MAX.listed ? `<li class="more">and ${fmtCount(items.length - MAX.listed)} more</li>` : ""}</ul>`;
  const others = inv.others.length
    ? `<details><summary>${plural(inv.others.length, "non-CNB image")}</summary>${list(inv.others, (o) => `<span class="mono">${esc(recordRef(o))}</span>: ${esc(o.why)}`)}</details>`
    : "";
  const errors = inv.errors.length
    ? `<details><summary>${plural(inv.errors.length, "scan error")}</summary>${list(inv.errors, (e) => `<span class="mono">${esc(e.ref)}</span>: ${esc(e.error)}`)}</details>`
    : "";
  return others || errors
    ? `<section class="panel" id="exceptions"><h2>Not in the charts</h2>${others}${errors}</section>`
    : "";
}

/** `sha256:0123456789ab` (12 hex digits, as `docker images` shows them); a bare hex digest the same way. */
function short(digest: string): string {
  const m = /^(?:(sha256|sha512):)?([0-9a-f]{12})[0-9a-f]{20,}$/.exec(digest);
  return m ? `${m[1] ? `${m[1]}:` : ""}${m[2]}` : digest;
}

/** The stylesheet: tones as CSS variables, a second set for `prefers-color-scheme: dark`. */
const CSS = `
:root{--bg:#f3f5f8;--panel:#fff;--ink:#17202b;--muted:#5c6776;--line:#e2e7ee;--track:#edf0f4;
--ok:#23895a;--info:#5b9be8;--warn:#e8a23a;--bad:#b3261e;--old:#8d9bb0;--none:#cfd6df;--hit:#6d46c9;
--on-dark:#fff;--on-light:#17202b;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0e131a;--panel:#171f29;--ink:#e5eaf1;--muted:#98a4b4;--line:#27323f;--track:#212b37;
--ok:#3fbf83;--info:#6aa8ff;--warn:#f0b04a;--bad:#f0675c;--old:#7b8aa0;--none:#465262;--hit:#a27ef2;--on-dark:#0e131a;--on-light:#0e131a}
.chart text.in.tone-none{fill:#e5eaf1}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 20px 40px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:18px;margin:0 0 6px}
h3{font-size:14px;margin:18px 0 2px;font-weight:600;overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,"DejaVu Sans Mono",monospace;font-size:.92em}
code{background:var(--track);padding:1px 5px;border-radius:4px;overflow-wrap:anywhere}
header .sub{margin:0 0 18px}
.sub{color:var(--muted);margin:0 0 8px}
.sub b{color:var(--ink)}
.headline{font-size:17px;margin:2px 0 10px}
.headline b{font-size:26px;margin-right:2px}
.tiles{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin-bottom:12px}
.glances{grid-template-columns:repeat(4,1fr);margin-bottom:20px}
.tile,.glance{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 16px;border-top:4px solid var(--line)}
.tile .big,.glance .big{font-size:28px;font-weight:700;line-height:1.15;font-variant-numeric:tabular-nums}
.glance .of{font-size:14px;font-weight:400;color:var(--muted)}
.cap{font-weight:600}
.tile .sub,.glance .sub{font-size:12.5px;margin:2px 0 0}
.accent-ok{border-top-color:var(--ok)}.accent-warn{border-top-color:var(--warn)}.accent-bad{border-top-color:var(--bad)}.accent-old{border-top-color:var(--old)}
.meter{height:8px;background:var(--track);border-radius:4px;overflow:hidden;margin:8px 0 4px}
.meter span{display:block;height:100%;min-width:2px}
.meter.wide{height:10px;margin:0 0 14px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:18px 22px;margin-bottom:20px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.cols .panel{margin-bottom:20px}
.group{margin-top:8px}
.bps{display:grid;grid-template-columns:1fr 1fr;gap:4px 28px}
.bp h3{margin-top:14px}
svg.chart{display:block;max-width:100%;height:auto;margin:6px 0 4px}
.chart text{font:13px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;fill:var(--ink)}
.chart .note{font-size:11.5px;fill:var(--muted)}
.chart .num{font-weight:700;font-variant-numeric:tabular-nums}
.chart .pct{font-weight:400;fill:var(--muted)}
.chart .badge{font-size:11.5px;font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.chart .track{fill:var(--track)}
.chart text.in{fill:var(--on-dark);font-weight:700}
.chart text.in.tone-warn,.chart text.in.tone-none,.chart text.in.tone-info{fill:var(--on-light)}
.tone-ok{fill:var(--ok);background:var(--ok)}.tone-info{fill:var(--info);background:var(--info)}
.tone-warn{fill:var(--warn);background:var(--warn)}.tone-bad{fill:var(--bad);background:var(--bad)}
.tone-old{fill:var(--old);background:var(--old)}.tone-none{fill:var(--none);background:var(--none)}
.tone-hit{fill:var(--hit);background:var(--hit)}
.tone-text-hit{color:var(--hit)}.tone-text-warn{color:var(--warn)}.tone-text-ok{color:var(--ok)}.tone-text-bad{color:var(--bad)}.tone-text-none{color:var(--none)}
.meter.stacked{display:flex}.meter.stacked span{min-width:0}
.abi-summary p{margin:0}.abi-reasons{margin:4px 0 12px;padding-left:18px}
.legend{list-style:none;padding:0;margin:4px 0 8px;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px}
.legend .pct{color:var(--muted)}
.sw{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.scroll{max-height:460px;overflow:auto;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th{position:sticky;top:0;background:var(--panel);text-align:left;font-weight:600;border-bottom:2px solid var(--line);padding:7px 10px}
td{padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
td.ref{font-family:ui-monospace,"SFMono-Regular",Menlo,"DejaVu Sans Mono",monospace;font-size:12.5px;overflow-wrap:anywhere}
tbody tr:nth-child(even){background:color-mix(in srgb,var(--track) 45%,transparent)}
.more,.none{color:var(--muted);margin:8px 0 0}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
.plain{margin:6px 0;padding-left:18px;font-size:13px}
footer{color:var(--muted);font-size:12.5px;text-align:center;margin-top:8px}
@media (max-width:900px){.tiles,.glances,.cols,.bps{grid-template-columns:1fr 1fr}}
@media print{body{background:#fff}.scroll{max-height:none}}
`.trim();
