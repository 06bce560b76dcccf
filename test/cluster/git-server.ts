/**
 * A git server inside the suite's cluster: an example app committed to a bare repository in a
 * node directory, served over git:// by `git daemon` in a pod. GitHub is out of reach here, and
 * kpack's Images and the Tekton docs' Pipeline both fetch their source from git.
 */
import { spawnSync } from "node:child_process";
import { cp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../e2e/support.js";

/**
 * A bare repository `<app>.git` (branch main, one commit) of examples/apps/`app`, made under
 * `work`; returns the directory that holds it, for {@link gitServerPod}.
 */
export async function gitRepository(work: string, app: string): Promise<string> {
  const src = join(work, app);
  const served = join(work, "git");
  await cp(join(ROOT, "examples/apps", app), src, { recursive: true });
  await mkdir(served, { recursive: true });
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=cnbkit", "-c", "user.email=cnbkit@example.com", ...args], {
      cwd,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  };
  git(src, "init", "-q", "-b", "main");
  git(src, "add", ".");
  git(src, "commit", "-q", "-m", app);
  git(work, "clone", "-q", "--bare", src, join(served, `${app}.git`));
  // The daemon runs as the image's user (1000); the repository belongs to root.
  spawnSync("chmod", ["-R", "a+rX", served]);
  return served;
}

/**
 * A pod named `git-server` serving `dir`'s repositories with `git daemon` (git://) on
 * 127.0.0.1:`port`, on the host network: `image` is any image with git (the build image, or a
 * builder made on it), the directory comes from the node.
 */
export function gitServerPod(image: string, dir: string, port: number): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "git-server", labels: { app: "git-server" } },
    spec: {
      hostNetwork: true,
      dnsPolicy: "Default",
      automountServiceAccountToken: false,
      containers: [
        {
          name: "git-daemon",
          image,
          command: ["git", "daemon", "--reuseaddr", "--export-all", "--base-path=/srv/git", "--listen=127.0.0.1"],
          args: [`--port=${port}`, "/srv/git"],
          env: [
            { name: "GIT_CONFIG_COUNT", value: "2" },
            // The repositories belong to root on the node; the daemon runs as the image's user (1000).
            { name: "GIT_CONFIG_KEY_0", value: "safe.directory" },
            { name: "GIT_CONFIG_VALUE_0", value: "*" },
            // kpack's build-init fetches the commit kpack resolved, by its SHA; without this git
            // answers "server does not support exact SHA1 refspec" (GitHub and GitLab allow it).
            { name: "GIT_CONFIG_KEY_1", value: "uploadpack.allowAnySHA1InWant" },
            { name: "GIT_CONFIG_VALUE_1", value: "true" },
          ],
          readinessProbe: { tcpSocket: { host: "127.0.0.1", port }, periodSeconds: 1 },
          volumeMounts: [{ name: "git", mountPath: "/srv/git", readOnly: true }],
        },
      ],
      volumes: [{ name: "git", hostPath: { path: dir, type: "Directory" } }],
    },
  };
}
