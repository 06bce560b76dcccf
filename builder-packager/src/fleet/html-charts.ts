/**
 * The drawing kit of the fleet's HTML report: escaping, number and date formats, and the two
 * charts it draws (labelled horizontal bars and one stacked 100% bar) as inline SVG.
 *
 * Every chart carries its numbers as text beside or inside the shapes, so it reads in
 * grayscale, printed, or to a screen reader; colours come from CSS classes (`tone-*`), so the
 * page's stylesheet alone decides light and dark. Output depends only on the arguments: no
 * clock, no locale, no random ids, so the same inventory gives the same bytes.
 */
import { fmtCount } from "./format-count.js";

/** What a shape means, which the page's stylesheet turns into a colour for light and dark. */
export type Tone =
  /** Good: the newest run image, a verified signature, rebasable. */
  | "ok"
  /** There but unchecked: a signature present without a key to check it. */
  | "info"
  /** Needs doing: behind the newest run image. */
  | "warn"
  /** Wrong: an invalid signature, not rebasable. */
  | "bad"
  /** Older, not wrong: a buildpack version that is not the newest. */
  | "old"
  /** Nothing there: no signature, no provenance, unknown. */
  | "none"
  /** The query's hits. */
  | "hit";

/** Escapes text for HTML content and for attribute values in double or single quotes. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `1 image`, `2 images`: a count with its noun, `s` added when it is not one. */
export function plural(n: number, noun: string): string {
  return `${fmtCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** `part` of `whole` as a whole percent, `<1%` for a sliver that rounding would call 0%. */
export function fmtPercent(part: number, whole: number): string {
  if (!whole) return "0%";
  const p = (part / whole) * 100;
  return p > 0 && p < 1 ? "<1%" : `${Math.round(p)}%`;
}

/** An ISO time as `2026-11-27 09:12 UTC` (UTC, so the page is the same wherever it is made). */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** How long before `now` an ISO time was, in the largest whole unit: `3 h ago`, `56 days ago`. */
export function fmtAgo(iso: string, now: Date): string {
  const ms = now.getTime() - new Date(iso).getTime();
  if (Number.isNaN(ms)) return "";
  if (ms < 0) return "after this report";
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** `text` cut to `max` characters with an ellipsis; the full text goes in a `<title>` beside it. */
export function clip(text: string, max: number): string {
  // Never cut a surrogate pair in half: a lone surrogate is not valid UTF-8 when written out.
  if (text.length > max && /[\uD800-\uDBFF]/.test(text.charAt(max - 2))) return `${text.slice(0, max - 2)}…`;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One bar of a {@link barChart}. */
export interface Bar {
  /** Left of the bar, clipped to fit; the full text shows on hover. */
  label: string;
  /** A second, smaller line under the label (an age, a note). */
  note?: string;
  /** A short badge after the number (`newest`). */
  badge?: string;
  value: number;
  tone: Tone;
}

/** Layout of a {@link barChart}, in CSS pixels at its natural size (it scales down to fit). */
export interface BarChartOptions {
  /** What the chart shows, for screen readers. */
  title: string;
  /** The chart's whole width. */
  width: number;
  /** The width kept for labels, left of the bars. */
  labelWidth: number;
  /** What 100% of a bar is (the largest value when not given). */
  max?: number;
  /** The whole the percentages after the numbers are of (no percentages when not given). */
  total?: number;
  /** The width kept right of the bars for their numbers; fitted to the longest when not given (give one to line up charts side by side). */
  tail?: number;
  /** Labels on their own line above each bar, for long labels (reasons) in a narrow chart; `labelWidth` is then unused. */
  labelsAbove?: boolean;
}

const CHAR_PX = 8; // DejaVu Sans (the widest common system-ui) at 13px: clipped labels never run into the bars

/**
 * Horizontal bars, one per row: label (and note) on the left, the bar, then its number (and
 * percentage, and badge) in text after it, so nothing depends on telling colours apart.
 *
 * @example
 * barChart([{ label: "1.2.0", value: 12, tone: "ok", badge: "newest" }], { title: "versions", width: 560, labelWidth: 160 })
 */
export function barChart(bars: Bar[], o: BarChartOptions): string {
  const above = o.labelsAbove ?? false;
  const rowH = above ? 42 : bars.some((b) => b.note) ? 38 : 26;
  const barH = 16;
  const height = bars.length * rowH + 4;
  const max = o.max ?? Math.max(1, ...bars.map((b) => b.value));
  const pctOf = (b: Bar) => (o.total ? ` (${fmtPercent(b.value, o.total)})` : "");
  // Room after the bars for the longest "12,345 (100%) NEWEST", so bars get the rest of the width.
  const tail =
    o.tail ??
    Math.max(
      0,
      ...bars.map(
        (b) => 16 + (fmtCount(b.value).length + pctOf(b).length) * CHAR_PX + (b.badge ? 8 + b.badge.length * 9 : 0),
      ),
    );
  const x = above ? 0 : o.labelWidth;
  const span = Math.max(40, o.width - x - tail);
  const maxChars = Math.floor((above ? o.width : o.labelWidth - 12) / CHAR_PX);
  const rows = bars.map((b, i) => {
    const y = i * rowH + 2;
    const barY = y + (above ? 20 : b.note ? 4 : (rowH - barH) / 2);
    const w = b.value > 0 ? Math.max(3, Math.round((b.value / max) * span)) : 0;
    const pct = pctOf(b);
    const numY = barY + barH / 2 + 4.5;
    const labelAt = above ? `x="0" y="${y + 13}"` : `x="${x - 10}" y="${numY}" text-anchor="end"`;
    const badge = b.badge ? `<tspan class="badge tone-${b.tone}" dx="8">${esc(b.badge)}</tspan>` : "";
    return (
      `<g><title>${esc(`${b.label}: ${fmtCount(b.value)}${pct}${b.badge ? ` ${b.badge}` : ""}`)}</title>` +
      `<text class="lbl" ${labelAt}>${esc(clip(b.label, maxChars))}</text>` +
      (b.note && !above
        ? `<text class="note" x="${x - 10}" y="${numY + 15}" text-anchor="end">${esc(clip(b.note, maxChars + 4))}</text>`
        : "") +
      `<rect class="track" x="${x}" y="${barY}" width="${span}" height="${barH}" rx="3"/>` +
      (w ? `<rect class="tone-${b.tone}" x="${x}" y="${barY}" width="${w}" height="${barH}" rx="3"/>` : "") +
      `<text class="num" x="${x + w + 8}" y="${numY}">${fmtCount(b.value)}<tspan class="pct">${esc(pct)}</tspan>${badge}</text></g>`
    );
  });
  return svg(o.title, o.width, height, rows.join(""));
}

/** One part of a {@link stackedBar}. */
export interface Segment {
  label: string;
  value: number;
  tone: Tone;
}

/**
 * One bar split into parts of a whole, each part's count written inside it when it fits, with
 * a legend under it that always carries label, count and percentage (for the parts too thin
 * to hold their number, and for grayscale).
 *
 * @example
 * stackedBar([{ label: "verified", value: 30, tone: "ok" }, { label: "none", value: 10, tone: "none" }], { title: "signatures", width: 560 })
 */
export function stackedBar(segments: Segment[], o: { title: string; width: number }): string {
  const total = segments.reduce((n, s) => n + s.value, 0);
  const h = 30;
  let x = 0;
  const parts = segments
    .filter((s) => s.value > 0)
    .map((s) => {
      const w = (s.value / total) * o.width;
      const text = fmtCount(s.value);
      const fits = w >= text.length * CHAR_PX + 10;
      const part =
        `<g><title>${esc(`${s.label}: ${fmtCount(s.value)} (${fmtPercent(s.value, total)})`)}</title>` +
        `<rect class="tone-${s.tone}" x="${round(x)}" y="0" width="${round(w)}" height="${h}"/>` +
        (fits
          ? `<text class="in tone-${s.tone}" x="${round(x + w / 2)}" y="${h / 2 + 5}" text-anchor="middle">${text}</text>`
          : "") +
        `</g>`;
      x += w;
      return part;
    });
  const bar = total
    ? svg(
        o.title,
        o.width,
        h,
        `<clipPath id="${clipId(o.title)}"><rect width="${o.width}" height="${h}" rx="5"/></clipPath><g clip-path="url(#${clipId(o.title)})">${parts.join("")}</g>`,
      )
    : svg(o.title, o.width, h, `<rect class="track" width="${o.width}" height="${h}" rx="5"/>`);
  const legend = segments
    .map(
      (s) =>
        `<li><span class="sw tone-${s.tone}"></span>${esc(s.label)} <b>${fmtCount(s.value)}</b> <span class="pct">${fmtPercent(s.value, total)}</span></li>`,
    )
    .join("");
  return `${bar}<ul class="legend">${legend}</ul>`;
}

/** A clip-path id from a chart title: ids share one namespace across the page's inline SVGs. */
function clipId(title: string): string {
  return `clip-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
}

function svg(title: string, width: number, height: number, body: string): string {
  return `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title>${esc(title)}</title>${body}</svg>`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
