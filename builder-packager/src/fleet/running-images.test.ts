import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, expect, test } from "vitest";
import { type ClusterImages, repositoryDigest, runningImages } from "./running-images.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

type Status = { name: string; image: string; imageID: string };

/** A pod as the API server lists it, with the statuses a kubelet writes. */
function pod(namespace: string, name: string, statuses: Status[], init: Status[] = []) {
  return {
    metadata: { namespace, name },
    status: { containerStatuses: statuses, initContainerStatuses: init },
  };
}

let server: http.Server;
let url: string;
let seen: { path: string; auth: string | undefined }[];
let answer: (path: string) => { status: number; body: unknown };

beforeEach(async () => {
  seen = [];
  server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? "", auth: req.headers.authorization });
    const { status, body } = answer(req.url ?? "");
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test("pods of every namespace, page by page, grouped by the digest the kubelet reports, init containers too", async () => {
  answer = (path) =>
    path.includes("continue=")
      ? {
          status: 200,
          body: {
            items: [
              pod("shop", "web-2", [
                { name: "web", image: "reg.example.com/shop/web:1", imageID: `reg.example.com/shop/web@${D1}` },
              ]),
              // Loaded onto the node, never pulled: no repository digest to scan by.
              pod("ops", "tool", [{ name: "tool", image: "tool:dev", imageID: D2 }]),
              // Still pulling: nothing runs yet.
              pod("ops", "new", [{ name: "new", image: "reg.example.com/ops/new:1", imageID: "" }]),
            ],
          },
        }
      : {
          status: 200,
          body: {
            metadata: { continue: "page 2" },
            items: [
              pod(
                "shop",
                "web-1",
                [
                  { name: "web", image: "reg.example.com/shop/web:1", imageID: `reg.example.com/shop/web@${D1}` },
                  { name: "proxy", image: "nginx", imageID: `docker-pullable://nginx@${D2}` },
                ],
                [{ name: "migrate", image: "reg.example.com/shop/web:1", imageID: `reg.example.com/shop/web@${D1}` }],
              ),
            ],
          },
        };
  const found: ClusterImages = await runningImages({ server: url, origin: "test", token: "t0k" });
  expect(seen.map((s) => s.path)).toEqual(["/api/v1/pods?limit=500", "/api/v1/pods?limit=500&continue=page%202"]);
  expect(seen.every((s) => s.auth === "Bearer t0k")).toBe(true);
  expect(found.pods).toBe(4);
  expect(found.images).toEqual([
    {
      repository: "docker.io/library/nginx",
      digest: D2,
      containers: [{ namespace: "shop", pod: "web-1", container: "proxy" }],
    },
    {
      repository: "reg.example.com/shop/web",
      digest: D1,
      containers: [
        { namespace: "shop", pod: "web-1", container: "migrate" },
        { namespace: "shop", pod: "web-1", container: "web" },
        { namespace: "shop", pod: "web-2", container: "web" },
      ],
    },
  ]);
  expect(found.unresolved).toEqual([
    {
      namespace: "ops",
      pod: "tool",
      container: "tool",
      image: "tool:dev",
      why: `the kubelet names it ${D2}, no repository digest`,
    },
  ]);
});

test("one namespace asks that namespace's pods", async () => {
  answer = () => ({ status: 200, body: { items: [] } });
  const found = await runningImages({ server: url, origin: "test" }, { namespace: "shop" });
  expect(seen[0]?.path).toBe("/api/v1/namespaces/shop/pods?limit=500");
  expect(found).toMatchObject({ pods: 0, images: [] });
});

test("a refusal is one line with the API's message and what permission is missing", async () => {
  answer = () => ({
    status: 403,
    body: { kind: "Status", message: 'pods is forbidden: User "scanner" cannot list resource "pods"' },
  });
  const err = await runningImages({ server: url, origin: "kubeconfig k, context c" }).catch((e: Error) => e);
  expect((err as Error).message).toBe(
    `the Kubernetes API at ${url} (kubeconfig k, context c) refused to list pods: HTTP 403 (pods is forbidden: User "scanner" cannot list resource "pods")`,
  );
  expect((err as { hint?: string }).hint).toMatch(/pods: list/);
  // A service account bound to its own namespace is told how to scan just that one.
  const scoped = await runningImages({ server: url, origin: "the pod's service account", namespace: "shop" }).catch(
    (e: Error) => e,
  );
  expect((scoped as { hint?: string }).hint).toMatch(
    /bound to it\), or scan the namespace it names: --kube-namespace shop$/,
  );
});

test("an API server that does not answer is one line naming it", async () => {
  const gone = url;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  const err = await runningImages({ server: gone, origin: "test" }).catch((e: Error) => e);
  expect((err as Error).message).toBe(`cannot reach the Kubernetes API at ${gone} (test): ECONNREFUSED`);
});

test("kubelet image ids: containerd's and Docker's forms, Docker Hub's short names made whole, a bare id is none", () => {
  expect(repositoryDigest(`127.0.0.1:5000/apps/web@${D1}`)).toEqual({
    repository: "127.0.0.1:5000/apps/web",
    digest: D1,
  });
  expect(repositoryDigest(`docker-pullable://bitnami/redis@${D1}`)).toEqual({
    repository: "docker.io/bitnami/redis",
    digest: D1,
  });
  expect(repositoryDigest(`docker.io/library/nginx@${D1}`)).toEqual({
    repository: "docker.io/library/nginx",
    digest: D1,
  });
  expect(repositoryDigest(`localhost/app@${D1}`)).toEqual({ repository: "localhost/app", digest: D1 });
  expect(repositoryDigest(D1)).toBeUndefined();
  expect(repositoryDigest("")).toBeUndefined();
});
