/**
 * The build, as its steps: read the app (steps/read-app.ts, no go command), choose the Go
 * version (go-version.ts), the targets (targets.ts) and the flags (build-flags.ts), set up
 * private-module credentials for the build only (steps/credentials.ts), compile or reuse the
 * binaries (steps/compile.ts, which installs the toolchain and the caches only when it
 * compiles), link them for Procfiles, clear the sources, and name the processes
 * (steps/launch.ts).
 */
import { type BuildContext, type BuildResult, readSettings } from "@cnbkit/framework";
import { runTool } from "@cnbkit/framework/process";
import { goBuildFlags } from "./build-flags.js";
import { explainGo } from "./go-errors.js";
import type { GoMetadata } from "./go-metadata.js";
import { chooseGoVersion } from "./go-version.js";
import { chooseTargets } from "./targets.js";
import { compile } from "./steps/compile.js";
import { goCredentials } from "./steps/credentials.js";
import { clearSources, linkBinaries, processes } from "./steps/launch.js";
import { readApp } from "./steps/read-app.js";
import { lazyToolchain } from "./steps/toolchain.js";

/** Builds a Go app. */
export async function build(ctx: BuildContext<GoMetadata>): Promise<BuildResult> {
  const settings = readSettings(ctx);
  const app = await readApp(ctx, settings.BP_GO_WORK_USE);

  ctx.log.step("Go version");
  const available = ctx.dependencies.all
    .filter(
      (d) => d.id === "go" && (d.os ?? "linux") === ctx.target.os && (d.arch ?? ctx.target.arch) === ctx.target.arch,
    )
    .map((d) => d.version);
  const versionFile = app.work
    ? { name: "go.work", ...app.work }
    : app.mod
      ? { name: "go.mod", ...app.mod }
      : undefined;
  const choice = chooseGoVersion({
    ...(settings.BP_GO_VERSION !== undefined ? { setting: settings.BP_GO_VERSION } : {}),
    ...(versionFile ? { file: versionFile } : {}),
    defaultRange: ctx.buildpack.metadata.defaultVersions.go,
    available,
  });
  ctx.log.detail(choice.reason);
  const dep = ctx.dependencies.resolve("go", choice.version);
  ctx.log.detail(`Selected Go ${dep.version}`);
  // Declared here, under its version, and installed only if a step compiles.
  const toolchain = await lazyToolchain(ctx, dep);

  ctx.log.step("Targets");
  const { targets, reason } = chooseTargets({
    mains: app.mains,
    modules: app.modules,
    ...(settings.BP_GO_TARGETS !== undefined ? { setting: settings.BP_GO_TARGETS } : {}),
  });
  ctx.log.detail(`${targets.map((t) => `${t.pkg} (${t.name})`).join(", ")}: ${reason}`);
  const flags = goBuildFlags({
    ...(settings.BP_GO_BUILD_FLAGS !== undefined ? { flags: settings.BP_GO_BUILD_FLAGS } : {}),
    ...(settings.BP_GO_BUILD_LDFLAGS !== undefined ? { ldflags: settings.BP_GO_BUILD_LDFLAGS } : {}),
    vendored: app.vendored,
  });

  const credentials = await goCredentials(ctx);
  try {
    const compiled = await compile({
      ctx,
      settings,
      app,
      targets,
      flags,
      toolchain,
      env: { ...settings, ...credentials.env },
      // BP_GO_WORK_USE: the go command's own `go work init` (no go.work) or `go work use`
      // writes the workspace; go.work then leaves the image with the other sources.
      prepare: async (go, env) => {
        const use = settings.BP_GO_WORK_USE?.trim();
        if (!use) return;
        const dirs = use
          .split(":")
          .filter((d) => d.trim() !== "")
          .map((d) => `./${d.trim().replace(/^\.\//, "")}`);
        const verb = app.files.includes("go.work") ? "use" : "init";
        ctx.log.detail(`go work ${verb} ${dirs.join(" ")} (BP_GO_WORK_USE)`);
        await runTool([go.go, "work", verb, ...dirs], { cwd: app.dir, env, log: ctx.log, explain: explainGo });
        if (verb === "init") app.files.push("go.work");
      },
    });
    ctx.log.step("Launch");
    await linkBinaries(ctx, compiled.binaries);
    await clearSources(ctx, app, settings);
    return { processes: processes(compiled.binaries) };
  } finally {
    await credentials.dispose();
  }
}
