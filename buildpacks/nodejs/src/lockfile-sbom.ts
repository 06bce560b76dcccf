/**
 * Lockfile → SBOM components: every package a lockfile pins, with a `pkg:npm` purl.
 *
 * Reads package-lock.json / npm-shrinkwrap.json (v1, v2, v3), yarn.lock (classic v1 and
 * berry), and pnpm-lock.yaml (v5.x best effort, v6–v9). Licenses come along when the
 * lockfile records them (npm v2/v3). Lockfile integrity is sha512 or sha1, never sha256, so
 * components carry no sha256 (the SBOM must not claim a hash nobody computed).
 */
import { CnbError, type SbomComponent } from "@cnbkit/framework";
import { parseYamlFile, type YamlValue } from "./yaml-file.js";

/**
 * The package URL of an npm package; scopes are percent-encoded as the purl spec says.
 *
 * @example
 * npmPurl("@types/node", "20.1.0") // "pkg:npm/%40types/node@20.1.0"
 */
export function npmPurl(name: string, version: string): string {
  const encoded = name.startsWith("@") ? `%40${name.slice(1)}` : name;
  return `pkg:npm/${encoded}@${encodeURIComponent(version).replaceAll("%2B", "+")}`;
}

/**
 * Reads a lockfile's packages as SBOM components, sorted by name then version, without
 * duplicates. `file` is the lockfile's name (it decides the format).
 *
 * @example
 * lockfileComponents("package-lock.json", text) // [{ name: "ms", version: "2.1.3", purl: "pkg:npm/ms@2.1.3", licenses: ["MIT"] }, …]
 */
export function lockfileComponents(file: string, text: string): SbomComponent[] {
  let list: SbomComponent[];
  if (file.endsWith("package-lock.json") || file.endsWith("npm-shrinkwrap.json")) list = fromNpm(file, text);
  else if (file.endsWith("yarn.lock")) list = /^__metadata:/m.test(text) ? fromBerry(file, text) : fromYarnV1(text);
  else if (file.endsWith("pnpm-lock.yaml")) list = fromPnpm(file, text);
  else throw new CnbError(`${file}: not a lockfile this buildpack reads`);
  const seen = new Map<string, SbomComponent>();
  for (const c of list) if (!seen.has(c.purl!)) seen.set(c.purl!, c);
  return [...seen.values()].sort((a, b) =>
    a.name === b.name ? (a.version ?? "").localeCompare(b.version ?? "") : a.name < b.name ? -1 : 1,
  );
}

function component(name: string, version: string, license?: unknown): SbomComponent {
  const c: SbomComponent = { name, version, purl: npmPurl(name, version), type: "library" };
  if (typeof license === "string" && license.trim()) c.licenses = [license.trim()];
  return c;
}

function fromNpm(file: string, text: string): SbomComponent[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new CnbError(`${file}: invalid JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  const out: SbomComponent[] = [];
  const packages = doc.packages;
  if (packages && typeof packages === "object") {
    // v2/v3: keys are install paths; the package name is what follows the last node_modules/.
    for (const [path, entry] of Object.entries(packages as Record<string, Record<string, unknown>>)) {
      const at = path.lastIndexOf("node_modules/");
      if (path === "" || at < 0 || entry.link === true) continue;
      const name = typeof entry.name === "string" ? entry.name : path.slice(at + "node_modules/".length);
      if (typeof entry.version !== "string") continue;
      out.push(component(name, entry.version, entry.license));
    }
    return out;
  }
  // v1: nested `dependencies` maps.
  const walk = (deps: unknown): void => {
    if (!deps || typeof deps !== "object") return;
    for (const [name, entry] of Object.entries(deps as Record<string, Record<string, unknown>>)) {
      if (typeof entry.version === "string" && !entry.version.startsWith("file:")) {
        out.push(component(name, entry.version.replace(/^npm:[^@]+@/, "")));
      }
      walk(entry.dependencies);
    }
  };
  walk(doc.dependencies);
  return out;
}

/** Name from a yarn descriptor like `@babel/core@^7.0.0` or `lodash@npm:^4`. */
function descriptorName(descriptor: string): string {
  const d = descriptor.trim().replace(/^"|"$/g, "");
  const at = d.indexOf("@", 1);
  return at < 0 ? d : d.slice(0, at);
}

function fromYarnV1(text: string): SbomComponent[] {
  const out: SbomComponent[] = [];
  let current: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith("#") || line.trim() === "") continue;
    if (!line.startsWith(" ")) {
      // `"@scope/a@^1", "@scope/a@^1.2":` — every descriptor names the same package.
      current = descriptorName(line.replace(/:$/, "").split(",")[0]!);
      continue;
    }
    const m = /^ {2}version "?([^"\s]+)"?$/.exec(line);
    if (m && current) {
      out.push(component(current, m[1]!));
      current = undefined;
    }
  }
  return out;
}

function fromBerry(file: string, text: string): SbomComponent[] {
  const doc = parseYamlFile(text, file);
  const out: SbomComponent[] = [];
  for (const [key, entry] of Object.entries(doc)) {
    if (key === "__metadata" || typeof entry !== "object" || Array.isArray(entry)) continue;
    const resolution = typeof entry.resolution === "string" ? entry.resolution : key.split(",")[0]!;
    const at = resolution.indexOf("@", 1);
    if (at < 0) continue;
    const name = resolution.slice(0, at);
    const ref = resolution.slice(at + 1);
    // Only registry packages: skip workspaces, links, patches (they repeat the npm entry), git.
    if (!ref.startsWith("npm:")) continue;
    const version = typeof entry.version === "string" ? entry.version : ref.slice(4);
    out.push(component(name, version));
  }
  return out;
}

/** Splits a pnpm package key (`/a@1.0.0(peer@2)`, `@s/a@1.0.0`, v5 `/a/1.0.0_peer@2`) into name and version. */
export function pnpmKey(key: string): { name: string; version: string } | undefined {
  let k = key.startsWith("/") ? key.slice(1) : key;
  k = k.replace(/\(.*$/, "");
  // v5: `name/1.2.3` or `@scope/name/1.2.3_peer@1`
  const v5 = /^((?:@[^/]+\/)?[^/@]+)\/(\d[^_/]*)(?:_.*)?$/.exec(k);
  if (v5) return { name: v5[1]!, version: v5[2]! };
  const at = k.indexOf("@", 1);
  if (at < 0) return undefined;
  const version = k.slice(at + 1);
  return /^\d/.test(version) ? { name: k.slice(0, at), version } : undefined;
}

function fromPnpm(file: string, text: string): SbomComponent[] {
  const doc = parseYamlFile(text, file);
  const packages = doc.packages;
  const out: SbomComponent[] = [];
  if (!packages || typeof packages !== "object" || Array.isArray(packages)) return out;
  for (const [key, entry] of Object.entries(packages as Record<string, YamlValue>)) {
    const parsed = pnpmKey(key);
    if (!parsed) continue;
    const name =
      typeof entry === "object" && !Array.isArray(entry) && typeof entry.name === "string" ? entry.name : parsed.name;
    const version =
      typeof entry === "object" &&
      !Array.isArray(entry) &&
      typeof entry.version === "string" &&
      /^\d/.test(entry.version)
        ? entry.version
        : parsed.version;
    out.push(component(name, version));
  }
  return out;
}
