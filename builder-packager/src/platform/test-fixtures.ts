/**
 * Fixtures shared by this folder's tests (not part of the public API).
 */
import { chmod, mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BindMount } from "./runc.js";

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
