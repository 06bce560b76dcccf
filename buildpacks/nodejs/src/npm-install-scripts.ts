/**
 * npm's install-script policy: package.json `allowScripts`.
 *
 * Since npm 11.16 an install lists the dependencies whose install scripts `allowScripts` does
 * not cover ("1 package has install scripts not yet covered by allowScripts:"); the scripts
 * still run. npm 12 skips them ("1 package had install scripts blocked because they are not
 * covered by allowScripts:"), exit code 0, so a native addon can be missing at run time
 * with the build green. Both lists are npm `warn` lines that scroll by in the install's
 * output; this module reads them back so the build can say them once, as a warning with the
 * fix, and keeps an engines.npm range from moving an app onto npm 12 that nothing says it
 * was made for. A skipped native addon build is more than a warning: see unbuilt-addons.ts.
 */
import semver from "semver";

/** The first npm major that skips unapproved dependency install scripts. */
export const SCRIPT_POLICY_MAJOR = 12;

/** A dependency whose install scripts npm named in its allowScripts list. */
export interface UnapprovedScripts {
  /** E.g. `es5-ext` or `@scope/pkg`. */
  name: string;
  version?: string;
  /** The lifecycle events, e.g. `["postinstall"]`. */
  events: string[];
  /** Each event's command as npm printed it, e.g. `{ install: "node-gyp rebuild" }`. */
  commands: Record<string, string>;
}

/** What an npm install said about install scripts `allowScripts` does not cover. */
export interface ScriptPolicyReport {
  /** True when npm skipped them (npm 12); false when it ran them and only warned (npm 11.16+). */
  skipped: boolean;
  packages: UnapprovedScripts[];
}

const HEADER =
  /^npm warn install-scripts \d+ packages? (had install scripts blocked|ha(?:s|ve) install scripts not yet covered)/;
const ENTRY = /^npm warn install-scripts {3}(@?[^@\s]+)(?:@(\S+))? \((.*)\)\s*$/;
const EVENT =
  /(?:^|; )(preinstall|install|postinstall|prepare): (.*?)(?=; (?:preinstall|install|postinstall|prepare): |$)/g;

/**
 * Reads npm's allowScripts list out of an install's output; undefined when there is none.
 *
 * @example
 * scriptPolicyReport([
 *   "npm warn install-scripts 1 package had install scripts blocked because they are not covered by allowScripts:",
 *   "npm warn install-scripts   es5-ext@0.10.64 (postinstall: node -e \"…\")",
 * ].join("\n"))
 * // { skipped: true, packages: [{ name: "es5-ext", version: "0.10.64", events: ["postinstall"], commands: { postinstall: 'node -e "…"' } }] }
 */
export function scriptPolicyReport(output: string): ScriptPolicyReport | undefined {
  let report: ScriptPolicyReport | undefined;
  let inList = false;
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, "").trimEnd();
    const header = HEADER.exec(line);
    if (header) {
      report ??= { skipped: false, packages: [] };
      report.skipped ||= header[1]!.startsWith("had");
      inList = true;
      continue;
    }
    const entry = inList ? ENTRY.exec(line) : null;
    if (!entry) {
      inList = false;
      continue;
    }
    // "postinstall: node x.js; install: node-gyp rebuild": each event is a word before ": ",
    // and its command runs to the next event (a command may have "; " of its own).
    const scripts = [...entry[3]!.matchAll(EVENT)];
    const events = scripts.map((m) => m[1]!);
    const commands = Object.fromEntries(scripts.map((m) => [m[1]!, m[2]!.trim()]));
    const pkg: UnapprovedScripts = { name: entry[1]!, events, commands };
    if (entry[2]) pkg.version = entry[2];
    if (!report!.packages.some((p) => p.name === pkg.name && p.version === pkg.version)) report!.packages.push(pkg);
  }
  return report;
}

/**
 * The warning for a {@link scriptPolicyReport}: one line that names every package, and the
 * fix as a hint line.
 *
 * @example
 * scriptPolicyWarning({ skipped: true, packages: [{ name: "es5-ext", version: "0.10.64", events: ["postinstall"], commands: {} }] }, "package.json")
 * // { line: 'npm skipped the install scripts of 1 dependency that package.json "allowScripts" does not approve: es5-ext@0.10.64 (postinstall)', hint: … }
 */
export function scriptPolicyWarning(report: ScriptPolicyReport, where: string): { line: string; hint: string } {
  const names = report.packages.map((p) => `${p.name}${p.version ? `@${p.version}` : ""} (${p.events.join(", ")})`);
  const count = `${report.packages.length} ${report.packages.length === 1 ? "dependency" : "dependencies"}`;
  const line = report.skipped
    ? `npm skipped the install scripts of ${count} that ${where} "allowScripts" does not approve: ${names.join(", ")}`
    : `npm ${SCRIPT_POLICY_MAJOR} will skip the install scripts of ${count} that ${where} "allowScripts" does not approve: ${names.join(", ")}`;
  const unique = [...new Set(report.packages.map((p) => p.name))].join(" ");
  return {
    line,
    hint: `If the app needs them, run "npm approve-scripts ${unique}" (npm 11.16 or later) and commit ${where}; to keep them from running, "npm deny-scripts ${unique}"`,
  };
}

/**
 * An engines.npm range that admits npm 12 and older majors, narrowed to the older ones when
 * package.json has no `allowScripts`: nothing then says the app was made with npm 12, whose
 * policy would skip every dependency's install scripts. The lockfile cannot tell (npm 9 to 12
 * all write lockfileVersion 3). Undefined when the range stays as it is: an exact version, a
 * range of npm 12 and later only, one that ends below npm 12, or an app with `allowScripts`.
 *
 * @example
 * narrowNpmRange(">=10", {}) // ">=10.0.0 <12.0.0-0"
 * narrowNpmRange(">=10", { allowScripts: { sharp: true } }) // undefined
 */
export function narrowNpmRange(range: string, pkg: Record<string, unknown>): string | undefined {
  if (semver.valid(range) || "allowScripts" in pkg) return undefined;
  const parsed = new semver.Range(range);
  const below = `<${SCRIPT_POLICY_MAJOR}.0.0-0`;
  if (!semver.intersects(range, `>=${SCRIPT_POLICY_MAJOR}.0.0-0`) || !semver.intersects(range, below)) return undefined;
  // Each `||` alternative gets the bound; one that lies wholly at or above npm 12 drops out.
  const parts = parsed.set
    .map((comparators) => `${comparators.map((c) => c.value).join(" ")} ${below}`.trim())
    .filter((part) => semver.minVersion(part) !== null);
  return parts.length > 0 ? parts.join(" || ") : undefined;
}
