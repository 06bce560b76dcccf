/**
 * Package lists from the SBOMs an image carries: the CycloneDX documents of its buildpacks'
 * SBOM layer (`layers/sbom/launch/...`: what runs; build-time SBOMs are not in the image),
 * of its run image's SBOM layer (`cnb/sbom/`), or of its CycloneDX attestations. Only name,
 * version and ecosystem are kept: that is what a fleet query asks.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import type { InventoryPackage } from "./inventory.js";
import { ecosystemOf } from "./versions/index.js";

/** The type, name (with its namespace, as each ecosystem writes it) of a package URL. */
export function purlName(purl: string): { type: string; name: string } | undefined {
  const m = /^pkg:([a-zA-Z][a-zA-Z0-9.+-]*)\/([^@?#]+)/.exec(purl);
  if (!m) return undefined;
  const type = m[1]!.toLowerCase();
  const segments = m[2]!.split("/").map((s) => decodeURIComponent(s));
  const name = segments.pop() ?? "";
  const namespace = segments.join("/");
  if (type === "maven") return { type, name: namespace ? `${namespace}:${name}` : name };
  if (type === "npm") return { type, name: namespace ? `${namespace}/${name}` : name };
  return { type, name };
}

interface CdxComponent {
  name?: unknown;
  version?: unknown;
  purl?: unknown;
  group?: unknown;
  components?: unknown;
}

/** The packages of one CycloneDX document (nested components included), sorted and unique. */
export function cycloneDxPackages(doc: unknown): InventoryPackage[] {
  const out = new Map<string, InventoryPackage>();
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const c of list as CdxComponent[]) {
      if (typeof c?.name === "string" && typeof c.version === "string" && c.version) {
        const purl = typeof c.purl === "string" ? c.purl : undefined;
        const parsed = purl ? purlName(purl) : undefined;
        const name = parsed?.name ?? (typeof c.group === "string" && c.group ? `${c.group}:${c.name}` : c.name);
        const pkg: InventoryPackage = {
          name,
          version: c.version,
          ecosystem: ecosystemOf(parsed?.type),
          ...(purl ? { purl } : {}),
        };
        out.set(`${pkg.ecosystem} ${pkg.name} ${pkg.version}`, pkg);
      }
      walk(c?.components);
    }
  };
  walk((doc as { components?: unknown } | undefined)?.components);
  return sortPackages([...out.values()]);
}

/** Packages in a stable order (ecosystem, name, version), without repeats. */
export function sortPackages(packages: InventoryPackage[]): InventoryPackage[] {
  const key = (p: InventoryPackage) => `${p.ecosystem} ${p.name} ${p.version}`;
  const unique = new Map(packages.map((p) => [key(p), p]));
  return [...unique.keys()].sort().map((k) => unique.get(k)!);
}

/**
 * The packages of every CycloneDX document under `prefix` in a layer (a gzip'd or plain tar
 * stream), read as it streams: only the documents are held, never the layer.
 */
export async function layerPackages(layer: Readable, gzipped: boolean, prefix: string): Promise<InventoryPackage[]> {
  const extract = tar.extract();
  const found: InventoryPackage[] = [];
  const consume = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.?\//, "");
      if (entry.header.type !== "file" || !name.startsWith(prefix) || !name.endsWith(".cdx.json")) {
        entry.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      try {
        found.push(...cycloneDxPackages(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
      } catch {
        // A document that is not JSON names no packages; the image is still recorded.
      }
    }
  })();
  const piped = gzipped ? pipeline(layer, createGunzip(), extract) : pipeline(layer, extract);
  await Promise.all([piped, consume]);
  return sortPackages(found);
}
