/**
 * {{name}} ({{id}}): installs Debian packages into the build image before the buildpacks
 * build. The packages come from BP_APT_PACKAGES (`--env BP_APT_PACKAGES="jq zstd"`) and from
 * buildpacks that require `apt` with `metadata.packages`.
 *
 * An extension has two phases: detect says what it can provide (extensions only provide,
 * never require), and generate returns Dockerfiles, which the lifecycle's extender applies
 * as root. `npm test` runs src/index.test.ts in-process; `npm run package` compiles this
 * file into bin/detect and bin/generate.
 */
import { CnbError, extension } from "@cnbkit/framework";

/** Debian package names (Policy 5.6.1), optionally with `=version`: nothing a shell would read. */
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;

export default extension({
  detect(ctx) {
    // The first alternative is used when a buildpack requires `apt`; the second (providing
    // nothing) lets BP_APT_PACKAGES work on its own.
    if (ctx.env.BP_APT_PACKAGES?.trim()) return ctx.pass({ provides: [{ name: "apt" }] }, {});
    return ctx.pass({ provides: [{ name: "apt" }] });
  },

  generate(ctx) {
    // Each package with where it was asked for, so a bad name is blamed on the right place.
    const wanted = new Map<string, string>();
    for (const p of (ctx.env.BP_APT_PACKAGES ?? "").split(/[\s,]+/).filter(Boolean)) wanted.set(p, "BP_APT_PACKAGES");
    for (const entry of ctx.plan.all("apt")) {
      const packages = entry.metadata.packages;
      if (Array.isArray(packages))
        for (const p of packages) if (!wanted.has(String(p))) wanted.set(String(p), "a buildpack's apt requirement");
    }
    for (const [p, from] of wanted) {
      if (!PACKAGE.test(p))
        throw new CnbError(`${from}: "${p}" is not a Debian package name`, {
          hint: 'give names separated by spaces, e.g. BP_APT_PACKAGES="jq zstd", or requires apt with metadata.packages = ["jq"]',
        });
    }
    if (wanted.size === 0) {
      ctx.log.step("No packages asked for");
      return undefined;
    }
    const list = [...wanted.keys()].sort().join(" ");
    ctx.log.step(`Installing ${list} into the build image`);
    return {
      // `${base_image}` and `${user_id}` are build args the lifecycle gives every Dockerfile:
      // the image being extended, and the CNB user to switch back to.
      buildDockerfile: [
        "ARG base_image",
        `FROM \${base_image}`,
        "USER root",
        `RUN apt-get update && apt-get install -y --no-install-recommends ${list} && rm -rf /var/lib/apt/lists/*`,
        "ARG user_id",
        `USER \${user_id}`,
        "",
      ].join("\n"),
    };
  },
});
