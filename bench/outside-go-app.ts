/**
 * A Go app from outside this repository for the benchmarks: a public module's source from the
 * Go module proxy (the one Go source this machine reaches), fetched with `go mod download
 * -json <module>@<version>` into a throwaway module cache, checked against the go.sum hash
 * pinned here (the go command also checks it against sum.golang.org), and copied out into
 * ~/.cache/cnbkit/outside-go/<module>@<version>. Nothing of it is committed; each bench round
 * gets its own copy in a /tmp/cnbkit-* dir, as a user's checkout.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cnbkitCacheDir } from "../builder-packager/src/cache/index.js";

/** One outside Go app: the module, its version and what the proxy's zip must hash to. */
export interface OutsideGoApp {
  /** The module path, as in go.mod. */
  module: string;
  /** The version tag. */
  version: string;
  /** The module zip's go.sum hash ("h1:..."), so a changed zip is refused. */
  sum: string;
  /** The main package the build compiles (BP_GO_TARGETS; the buildpack finds it too). */
  target: string;
  /** The file a one-line edit changes (app-relative). */
  editFile: string;
}

/**
 * Caddy, the web server: its `cmd/caddy` needs 820 MB of modules (certmagic, smallstep's CA,
 * quic-go, CEL, OpenTelemetry, gRPC...) and about 250 MB of compiled packages, so its Go
 * caches are well over the 313 MB of the case; a real service many people build.
 */
export const CADDY: OutsideGoApp = {
  module: "github.com/caddyserver/caddy/v2",
  version: "v2.11.9",
  sum: "h1:bhZtcRKQOq0fuLvEgCdPYvUxXyGn9kzjG4lh2332DTE=",
  target: "./cmd/caddy",
  editFile: "cmd/caddy/main.go",
};

/**
 * The app's source in the cnbkit cache, fetched on first use (needs `go` on the PATH, as
 * scripts/fetch-pack.sh does). Returns the cached dir; copy it before building.
 * @throws Error when the go command fails or the zip's hash is not the pinned one
 */
export async function outsideGoSource(app: OutsideGoApp, say: (l: string) => void = () => {}): Promise<string> {
  const dir = join(cnbkitCacheDir(), "outside-go", `${app.module.replaceAll("/", "+")}@${app.version}`);
  if (existsSync(join(dir, "go.mod"))) return dir;
  say(`fetching ${app.module}@${app.version} from the Go module proxy (first run only)`);
  await mkdir(join(dir, ".."), { recursive: true });
  const mods = await mkdtemp(join(tmpdir(), "cnbkit-outside-go-mod-"));
  const partial = `${dir}.partial-${process.pid}`;
  try {
    const r = spawnSync("go", ["mod", "download", "-json", `${app.module}@${app.version}`], {
      encoding: "utf8",
      env: { ...process.env, GOMODCACHE: mods, GOFLAGS: "-modcacherw", GOTOOLCHAIN: "local" },
    });
    if (r.status !== 0) throw new Error(`go mod download ${app.module}@${app.version} failed: ${r.stderr}${r.stdout}`);
    const info = JSON.parse(r.stdout) as { Dir?: string; Sum?: string; Error?: string };
    if (info.Error || !info.Dir) throw new Error(`go mod download ${app.module}@${app.version}: ${info.Error}`);
    if (app.sum && info.Sum !== app.sum)
      throw new Error(
        `${app.module}@${app.version}: the proxy's zip hashes to ${info.Sum}, not the pinned ${app.sum}; check bench/outside-go-app.ts`,
      );
    await rm(partial, { recursive: true, force: true });
    await cp(info.Dir, partial, { recursive: true });
    await chmod(partial, 0o755);
    await rename(partial, dir);
    return dir;
  } finally {
    await rm(partial, { recursive: true, force: true });
    await rm(mods, { recursive: true, force: true });
  }
}
