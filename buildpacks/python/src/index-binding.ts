/**
 * A private package index from a binding, for the build only: what `cnbkit build --secret
 * id=pypi,src=index-url.txt,type=pip` (or a binding dir of that type) gives. A binding of type
 * `pip`, `uv` or `poetry` whose `index-url` entry is the index's URL (credentials included, as
 * `https://user:token@host/simple`) becomes PIP_INDEX_URL (pip, and Poetry through
 * poetry-source.ts) and UV_INDEX_URL (uv); a binding of type `netrc` becomes NETRC, which pip
 * and uv read for the index's host. The build's own env wins: a user who sets PIP_INDEX_URL
 * meant it. The values go only into the tools' environment, never into a layer's env or a
 * file of a layer; cnbkit's layer scan refuses an image that has them anyway.
 */
import { type Bindings, CnbError, type Settings } from "@cnbkit/framework";
import { join } from "node:path";

/** The binding types whose `index-url` is the build's index. */
export const INDEX_BINDING_TYPES = ["pip", "uv", "poetry"] as const;

/** The settings the bindings add (under the build's own), and the log lines (names, never values). */
export interface IndexBindingSettings {
  settings: Settings;
  lines: string[];
}

/** The index and netrc settings of `bindings`, below what `settings` already has. */
export async function indexBindingSettings(
  bindings: Pick<Bindings, "byType" | "one">,
  settings: Settings,
): Promise<IndexBindingSettings> {
  const found: Record<string, string> = {};
  const lines: string[] = [];
  const index = INDEX_BINDING_TYPES.flatMap((t) => bindings.byType(t));
  if (index.length > 1) {
    throw new CnbError(
      `bindings: ${index.length} bindings name the package index (${index.map((b) => b.name).join(", ")}); give one`,
      { hint: "Keep one binding of type pip, uv or poetry with an index-url entry" },
    );
  }
  const binding = index[0];
  if (binding) {
    const url = (await binding.read("index-url"))?.trim();
    if (!url) {
      throw new CnbError(`binding "${binding.name}" (type ${binding.type}) has no index-url entry`, {
        hint: "Put the index's URL (https://user:token@host/simple) in a file named index-url",
      });
    }
    found.PIP_INDEX_URL = url;
    found.UV_INDEX_URL = url;
    lines.push(`Package index: from binding "${binding.name}" (build only, never in a layer)`);
  }
  const netrc = bindings.one("netrc");
  const entry = netrc?.entries.find((e) => e === ".netrc" || e === "netrc");
  if (netrc && entry && netrc.path) {
    found.NETRC = join(netrc.path, entry);
    lines.push(`Index credentials: .netrc from binding "${netrc.name}" (build only, never in a layer)`);
  }
  return { settings: { ...found, ...settings }, lines };
}
