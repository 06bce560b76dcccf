/**
 * Fixtures shared by this folder's tests (not part of the public API).
 */
import { spawnSync } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import {
  copyImage,
  imageConfig,
  type LayerDescriptor,
  OciLayout,
  openImageSink,
  openImageSource,
  type ResolvedImage,
  writeLayer,
} from "../oci/index.js";
import type { BindMount } from "../container/index.js";

/**
 * A tiny root filesystem that borrows the host's /usr through a read-only bind mount, so
 * runc tests run real programs (sh, id, sleep) without first building a Debian rootfs.
 */
export async function hostUsrRootfs(): Promise<{ rootfs: string; mounts: BindMount[] }> {
  const rootfs = await mkdtemp(join(tmpdir(), "cnbkit-hostusr-"));
  await chmod(rootfs, 0o755);
  for (const d of ["usr", "etc", "tmp", "proc", "dev", "sys"]) await mkdir(join(rootfs, d));
  for (const l of ["bin", "lib", "lib64", "sbin"]) await symlink(`usr/${l}`, join(rootfs, l));
  await writeFile(join(rootfs, "etc/passwd"), "root:x:0:0::/root:/bin/sh\ncnb:x:1000:1000::/home/cnb:/bin/sh\n");
  await writeFile(join(rootfs, "etc/group"), "root:x:0:\ncnb:x:1000:\n");
  return { rootfs, mounts: [{ source: "/usr", destination: "/usr", readonly: true }] };
}

/** The lifecycle built for the tests (see DESIGN.md). */
export const LIFECYCLE_DIR = join(homedir(), ".cache", "cnbkit", "lifecycle", "0.21.17");

const SERVER = `#!/usr/bin/perl
# A tiny HTTP server (perl-base is in Debian minbase, so the run image has it).
use strict;
use IO::Socket::INET;
my $port = $ENV{PORT} || 8080;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port, Listen => 5, ReuseAddr => 1)
  or die "listen on $port: $!";
$| = 1;
print "listening on $port\\n";
while (my $c = $s->accept) {
  while (my $line = <$c>) { last if $line =~ /^\\r?\\n$/; }
  open(my $f, "<", "/workspace/index.html") or die "index.html: $!";
  my $body = do { local $/; <$f> };
  close $f;
  print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/html\\r\\nContent-Length: " . length($body) . "\\r\\n\\r\\n" . $body;
  close $c;
}
`;

const DETECT = `#!/bin/sh
if [ -f index.html ]; then exit 0; fi
echo "no index.html in $(pwd)"
exit 100
`;

const BUILD = `#!/bin/sh
set -eu
echo "Test server buildpack"
if [ -f fail-build ]; then echo "asked to fail" >&2; exit 7; fi
layer="$CNB_LAYERS_DIR/server"
mkdir -p "$layer/bin"
cp "$CNB_BUILDPACK_DIR/server.pl" "$layer/bin/serve"
chmod 755 "$layer/bin/serve"
printf '[types]\\nlaunch = true\\ncache = true\\n' > "$layer.toml"
cat > "$layer.sbom.cdx.json" <<'JSON'
{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"components":[{"type":"application","name":"serve","version":"1.0.0"}]}
JSON
if [ -n "\${GREETING:-}" ]; then echo "GREETING=$GREETING"; fi
if [ -d "$CNB_PLATFORM_DIR/bindings/creds" ]; then echo "binding creds: $(cat "$CNB_PLATFORM_DIR/bindings/creds/type")"; fi
# Buildpacks move trees from the app into layers (node_modules): one rename keeps the inode,
# a move across mounts is a copy.
mkdir moved-tree
before=$(stat -c %i moved-tree)
mv moved-tree "$CNB_LAYERS_DIR/moved-tree"
if [ "$(stat -c %i "$CNB_LAYERS_DIR/moved-tree")" = "$before" ]; then how=rename; else how=copy; fi
echo "app dir to layers dir: $how"
rm -rf "$CNB_LAYERS_DIR/moved-tree"
cat > "$CNB_LAYERS_DIR/launch.toml" <<TOML
[[processes]]
type = "web"
command = ["$layer/bin/serve"]
default = true
TOML
`;

/**
 * Assembles a builder root filesystem for the tests: a hardlink copy of cnbkit's build base
 * rootfs, the lifecycle at /cnb/lifecycle, one shell-script buildpack (`test/server`, which
 * passes detect when the app has index.html and contributes a perl HTTP server as the web
 * process), /cnb/order.toml and /cnb/run.toml naming `runImage`.
 */
export async function testBuilderRootfs(buildRootfs: string, runImage: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-builder-"));
  const rootfs = join(dir, "rootfs");
  const cp = spawnSync("cp", ["-al", buildRootfs, rootfs], { encoding: "utf8" });
  if (cp.status !== 0) throw new Error(`cp -al: ${cp.stderr}`);
  await mkdir(join(rootfs, "cnb/buildpacks/test_server/0.0.1/bin"), { recursive: true });
  const cpl = spawnSync("cp", ["-a", LIFECYCLE_DIR, join(rootfs, "cnb/lifecycle")], { encoding: "utf8" });
  if (cpl.status !== 0) throw new Error(`cp lifecycle: ${cpl.stderr}`);
  const bp = join(rootfs, "cnb/buildpacks/test_server/0.0.1");
  await writeFile(
    join(bp, "buildpack.toml"),
    `api = "0.10"\n[buildpack]\nid = "test/server"\nversion = "0.0.1"\nname = "Test Server"\nsbom-formats = ["application/vnd.cyclonedx+json"]\n[[targets]]\nos = "linux"\n`,
  );
  await writeFile(join(bp, "bin/detect"), DETECT, { mode: 0o755 });
  await writeFile(join(bp, "bin/build"), BUILD, { mode: 0o755 });
  await writeFile(join(bp, "server.pl"), SERVER, { mode: 0o755 });
  await writeFile(
    join(rootfs, "cnb/order.toml"),
    `[[order]]\n[[order.group]]\nid = "test/server"\nversion = "0.0.1"\n`,
  );
  await writeFile(join(rootfs, "cnb/run.toml"), `[[images]]\nimage = "${runImage}"\n`);
  for (const d of ["workspace", "layers"]) {
    await mkdir(join(rootfs, d), { recursive: true });
    await chown(join(rootfs, d), 1000, 1000);
  }
  return rootfs;
}

/**
 * A "patched" run image for rebase tests and benches: `from` copied into the layout `dir` as
 * tag `base`, and as tag `patched` with one more layer holding `file`. Returns the base image
 * and the added layer.
 */
export async function patchedRunImage(
  from: string,
  dir: string,
  file: { path: string; data: string },
): Promise<{ base: ResolvedImage; patch: LayerDescriptor }> {
  await copyImage(await openImageSource(from), await openImageSink(`oci:${dir}:base`));
  const layout = await OciLayout.open(dir);
  const base = await (await openImageSource(`oci:${dir}:base`)).image();
  const patch = await writeLayer(
    [{ type: "file", path: file.path, size: Buffer.byteLength(file.data), data: file.data }],
    layout.blobDir,
  );
  const config = imageConfig({
    architecture: base.config.architecture,
    config: base.config.config,
    diffIds: [...base.config.rootfs.diff_ids, patch.diffId],
  });
  await layout.writeImage({ config, layers: [...base.manifest.manifest.layers, patch], tag: "patched" });
  return { base, patch };
}

/**
 * Small app images for run tests: `from` (cnbkit's run image) plus one layer holding
 * /etc/cnbkit-image, each tagged by its name in the layout `dir`, whose process prints
 * "up <name>" and sleeps (or runs `script` instead). Different names are different images
 * (digests). Returns their refs.
 */
export async function sleeperImages(
  from: string,
  dir: string,
  names: string[],
  script = 'echo "up $(cat /etc/cnbkit-image)"; exec sleep 600',
): Promise<Record<string, string>> {
  await copyImage(await openImageSource(from), await openImageSink(`oci:${dir}:base`));
  const layout = await OciLayout.open(dir);
  const base = await (await openImageSource(`oci:${dir}:base`)).image();
  const refs: Record<string, string> = {};
  for (const name of names) {
    const layer = await writeLayer(
      [{ type: "file", path: "etc/cnbkit-image", size: Buffer.byteLength(name), data: name }],
      layout.blobDir,
    );
    const config = imageConfig({
      architecture: base.config.architecture,
      config: {
        ...base.config.config,
        Entrypoint: ["/bin/sh", "-c", script],
      },
      diffIds: [...base.config.rootfs.diff_ids, layer.diffId],
    });
    await layout.writeImage({ config, layers: [...base.manifest.manifest.layers, layer], tag: name });
    refs[name] = `oci:${dir}:${name}`;
  }
  return refs;
}
