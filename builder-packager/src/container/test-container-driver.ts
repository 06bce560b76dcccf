/**
 * A child process for the runc fault test: bundled with esbuild and run with node, it runs
 * argv[3..] in the root filesystem argv[2] (the host's /usr bound in) under runc and prints
 * the container's output, so the test can SIGKILL it while the container runs.
 */
import { runContainer } from "./runc.js";

const [rootfs, ...args] = process.argv.slice(2) as [string, ...string[]];
const code = await runContainer({
  rootfs,
  args,
  env: { PATH: "/usr/bin:/bin" },
  user: { uid: 1000, gid: 1000 },
  mounts: [{ source: "/usr", destination: "/usr", readonly: true }],
  hostNetwork: true,
  onStdout: (l) => process.stdout.write(`${l}\n`),
});
process.exitCode = code;
