/**
 * The fleet stage: what runs across many app images, read from their manifests, configs,
 * SBOMs and signatures alone (`cnbkit fleet scan`), questions over that inventory
 * (`fleet query`) and rebasing every image whose run image is behind (`fleet rebase`).
 */
export { HIT_ROWS, type HtmlReportOptions, htmlReport, type QueryHit } from "./html-report.js";
export * from "./inventory.js";
export * from "./versions/index.js";
