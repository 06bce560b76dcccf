/**
 * The published versions a project made outside a cnbkit checkout depends on, read from the
 * CLI's own package.json (inlined into the bundle), so they move with each release: the
 * framework range this CLI itself depends on, and this CLI's version as a caret range.
 */
import cliPackage from "../../package.json" with { type: "json" };

/** The `@cnbkit/framework` range, e.g. `^0.1.0`: the one `@cnbkit/builder-packager` depends on. */
export const PUBLISHED_FRAMEWORK_SPEC: string = cliPackage.dependencies["@cnbkit/framework"];

/** The `@cnbkit/builder-packager` range, e.g. `^0.1.0`: this CLI's own version. */
export const PUBLISHED_CLI_SPEC = `^${cliPackage.version}`;
