/**
 * Where `cnbkit new` finds what it copies: the templates and the CA certificates buildpack
 * that the builder template vendors, and (inside a cnbkit checkout) the framework and CLI
 * packages. Found by walking up from this module, so it works from the sources
 * (builder-packager/src/scaffold/), from the bundled CLI (builder-packager/dist/) and from
 * an installed package (node_modules/@cnbkit/builder-packager/dist/).
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

/** The file that marks a templates directory. */
const TEMPLATE_MARK = join("templates", "buildpack", "buildpack.toml");

/**
 * Finds the sources by walking up from `from` (default: this module's directory).
 *
 * - A cnbkit checkout (a directory with `templates/buildpack/buildpack.toml` and
 *   `framework/`): its templates, and file paths to its framework and CLI packages.
 * - An installed `@cnbkit/builder-packager` package: the copies its `dist/` ships
 *   (scripts/build-cli.mjs writes them), and no package paths, so projects get the
 *   published versions. Inside a checkout the checkout wins, even over a packed `dist/`.
 *
 * @throws CnbError when there is neither (a broken installation).
 */
export function locateSources(from = dirname(fileURLToPath(import.meta.url))): ScaffoldSources {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isCheckout(dir)) return checkoutSources(dir);
    const dist = join(dir, "dist");
    if (
      packageName(dir) === "@cnbkit/builder-packager" &&
      existsSync(join(dist, TEMPLATE_MARK)) &&
      !isCheckout(dirname(dir))
    ) {
      return { templates: join(dist, "templates"), caCertificates: join(dist, "ca-certificates") };
    }
    if (dirname(dir) === dir) {
      throw new CnbError(`cnbkit new: no templates directory found above ${from}`, {
        hint: "The cnbkit installation is incomplete: reinstall @cnbkit/builder-packager (its dist/ has templates/).",
      });
    }
  }
}

/** A cnbkit checkout's root: templates beside the framework package (a packed `dist/` has no framework). */
function isCheckout(dir: string): boolean {
  return existsSync(join(dir, TEMPLATE_MARK)) && packageName(join(dir, "framework")) === "@cnbkit/framework";
}

function checkoutSources(dir: string): ScaffoldSources {
  const out: ScaffoldSources = {
    templates: join(dir, "templates"),
    caCertificates: join(dir, "buildpacks", "ca-certificates"),
    framework: join(dir, "framework"),
  };
  if (packageName(join(dir, "builder-packager")) === "@cnbkit/builder-packager") {
    out.builderPackager = join(dir, "builder-packager");
  }
  return out;
}
