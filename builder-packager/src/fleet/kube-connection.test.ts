import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../../../test/support/temp-dir.js";
import { kubeConnection } from "./kube-connection.js";

let dir: string;
tempDirPerTest("kubeconfig", (d) => {
  dir = d;
});

/** A kubeconfig as kubectl writes one: two contexts, file paths relative to the file. */
async function kubeconfig(users: string): Promise<string> {
  const path = join(dir, "config");
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: pki/ca.crt
- name: dev
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
${users}
contexts:
- name: prod
  context: {cluster: prod, user: ops, namespace: shop}
- name: dev
  context: {cluster: dev, user: dev}
current-context: prod
`,
  );
  return path;
}

test("the current context: server, CA and client certificate (relative to the kubeconfig), namespace", async () => {
  await mkdir(join(dir, "pki"));
  await writeFile(join(dir, "pki/ca.crt"), "CA PEM");
  const path = await kubeconfig(`- name: ops
  user:
    client-certificate-data: ${Buffer.from("CERT PEM").toString("base64")}
    client-key-data: ${Buffer.from("KEY PEM").toString("base64")}
- name: dev
  user: {token: dev-token}`);
  const conn = await kubeConnection({ env: { KUBECONFIG: `${join(dir, "missing")}:${path}` } });
  expect(conn).toEqual({
    server: "https://10.0.0.1:6443",
    origin: `kubeconfig ${path}, context prod`,
    namespace: "shop",
    ca: Buffer.from("CA PEM"),
    cert: Buffer.from("CERT PEM"),
    key: Buffer.from("KEY PEM"),
  });
  const dev = await kubeConnection({ env: { KUBECONFIG: path }, context: "dev" });
  expect(dev).toEqual({
    server: "https://127.0.0.1:6443",
    origin: `kubeconfig ${path}, context dev`,
    insecure: true,
    token: "dev-token",
  });
});

test("each way a kubeconfig can't be used is one line: no context, an exec plugin, a missing file", async () => {
  const path = await kubeconfig(`- name: ops
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token]}
- name: dev
  user: {tokenFile: tokens/dev}`);
  const env = { KUBECONFIG: path };
  await expect(kubeConnection({ env, context: "stage" })).rejects.toThrow(
    `kubeconfig ${path} has no context "stage" (it has: prod, dev)`,
  );
  await expect(kubeConnection({ env })).rejects.toThrow(
    `kubeconfig ${path}, context prod: user "ops" signs in with an exec plugin (aws), which cnbkit does not run`,
  );
  await expect(kubeConnection({ env, context: "dev" })).rejects.toThrow(
    `kubeconfig ${path}, context dev: cannot read the token file ${join(dir, "tokens/dev")}`,
  );
  await expect(kubeConnection({ env: { HOME: dir }, serviceAccountDir: join(dir, "sa") })).rejects.toThrow(
    `--kubernetes: no kubeconfig at ${join(dir, ".kube/config")}, and this is not a pod with a service account`,
  );
});

test("in a pod without a kubeconfig: the service account's token, CA and namespace", async () => {
  const sa = join(dir, "sa");
  await mkdir(sa);
  await writeFile(join(sa, "token"), "sa-token\n");
  await writeFile(join(sa, "ca.crt"), "CLUSTER CA");
  await writeFile(join(sa, "namespace"), "fleet-ops");
  const conn = await kubeConnection({
    env: { HOME: dir, KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
    serviceAccountDir: sa,
  });
  expect(conn).toEqual({
    server: "https://10.96.0.1:443",
    origin: "the pod's service account",
    token: "sa-token",
    ca: Buffer.from("CLUSTER CA"),
    namespace: "fleet-ops",
  });
});
