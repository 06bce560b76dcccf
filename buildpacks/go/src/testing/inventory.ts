/**
 * The Go buildpack's test inventory: the real buildpack.toml with each toolchain zip named by
 * its cached copy (file://, downloaded once from the Go module proxy and checked against the
 * real sha256; tools/local-builder/local-go.ts), for amd64 and arm64, so harness builds run
 * the real go command without downloading a toolchain each time.
 */
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { LOCAL_GO_VERSIONS, localGoBuildpackToml } from "../../../../tools/local-builder/local-go.js";

/** buildpack.toml text with the local toolchains of `versions` for both arches. */
export async function testBuildpackToml(versions: readonly string[] = LOCAL_GO_VERSIONS): Promise<string> {
  const [amd, arm] = await Promise.all(
    (["amd64", "arm64"] as const).map(async (a) => parseToml(await localGoBuildpackToml(a, undefined, versions), a)),
  );
  const deps = (t: TomlTable | undefined) =>
    ((t?.metadata as TomlTable | undefined)?.dependencies ?? []) as TomlTable[];
  const doc = amd as TomlTable;
  const metadata = { ...(doc.metadata as TomlTable), dependencies: [...deps(amd), ...deps(arm)] };
  return stringifyToml({
    ...doc,
    targets: [
      { os: "linux", arch: "amd64" },
      { os: "linux", arch: "arm64" },
    ],
    metadata,
  });
}

/** The build env for harness runs on linux/amd64, with this machine's CA bundle and Go proxy. */
export const TEST_ENV: Record<string, string> = {
  CNB_TARGET_OS: "linux",
  CNB_TARGET_ARCH: "amd64",
  SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt",
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/root",
};
