/**
 * Where `cnbkit new` finds what it copies: the templates, and (inside a cnbkit checkout)
 * the framework, the CLI package and the CA certificates buildpack that the builder
 * template vendors. Found by walking up from this module, so it works from the sources
 * (builder-packager/src/scaffold/) and from the bundled CLI (builder-packager/dist/).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CnbError } from "@cnbkit/framework";

/** The directories a scaffold reads from. */
export interface ScaffoldSources {
  /** `templates/`, with one directory per template. */
  templates: string;
  /** `buildpacks/ca-certificates/`, vendored into the builder template. */
  caCertificates: string;
  /** The framework package directory, when running inside a cnbkit checkout. */
  framework?: string;
  /** The `@cnbkit/builder-packager` package directory (the CLI), inside a checkout. */
  builderPackager?: string;
}

function packageName(dir: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
  } catch {
    return undefined;
  }
}

/**
 * Finds the sources by walking up from `from` (default: this module's directory) to the
 * first directory holding `templates/buildpack/buildpack.toml`.
 *
 * @throws CnbError when there is none (a broken installation).
 */
export function locateSources(from = dirname(fileURLToPath(import.meta.url))): ScaffoldSources {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "templates", "buildpack", "buildpack.toml"))) {
      const out: ScaffoldSources = {
        templates: join(dir, "templates"),
        caCertificates: join(dir, "buildpacks", "ca-certificates"),
      };
      if (packageName(join(dir, "framework")) === "@cnbkit/framework") out.framework = join(dir, "framework");
      if (packageName(join(dir, "builder-packager")) === "@cnbkit/builder-packager") {
        out.builderPackager = join(dir, "builder-packager");
      }
      return out;
    }
    if (dirname(dir) === dir) {
      throw new CnbError(`cnbkit new: no templates directory found above ${from}`, {
        hint: "The cnbkit installation is incomplete: templates/ ships next to the CLI.",
      });
    }
  }
}
