import { describe, expect, test } from "vitest";
import { formatReference, isLoopbackHost, parseReference } from "./reference.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  test.each([
    ["oci:out/app", { kind: "layout", path: "out/app" }],
    ["oci:out/app:v1", { kind: "layout", path: "out/app", tag: "v1" }],
    ["oci:/abs/dir.d:latest", { kind: "layout", path: "/abs/dir.d", tag: "latest" }],
    [`oci:out/app@${D}`, { kind: "layout", path: "out/app", digest: D }],
    ["ubuntu", { kind: "registry", registry: "docker.io", repository: "library/ubuntu", tag: "latest" }],
    [
      "paketobuildpacks/builder:base",
      { kind: "registry", registry: "docker.io", repository: "paketobuildpacks/builder", tag: "base" },
    ],
    [
      "index.docker.io/library/node:20",
      { kind: "registry", registry: "docker.io", repository: "library/node", tag: "20" },
    ],
    ["127.0.0.1:5000/acme/bp", { kind: "registry", registry: "127.0.0.1:5000", repository: "acme/bp", tag: "latest" }],
    ["localhost/x", { kind: "registry", registry: "localhost", repository: "x", tag: "latest" }],
    ["[::1]:5000/x:1", { kind: "registry", registry: "[::1]:5000", repository: "x", tag: "1" }],
    [`ghcr.io/a/b/c:t@${D}`, { kind: "registry", registry: "ghcr.io", repository: "a/b/c", tag: "t", digest: D }],
    [`ghcr.io/a/b@${D}`, { kind: "registry", registry: "ghcr.io", repository: "a/b", digest: D }],
  ])("%s", (input, want) => {
    expect(parseReference(input)).toEqual(want);
  });

  test.each([
    ["", "image reference is empty"],
    ["oci:", 'image reference "oci:": oci: needs a directory, as in oci:out/app[:tag]'],
    [
      "oci:dir:bad tag",
      "image reference \"oci:dir:bad tag\": tag \"bad tag\" may only contain letters, digits, '_', '.' and '-'",
    ],
    [
      "Acme/App",
      'image reference "Acme/App": repository part "Acme" must be lowercase letters, digits and separators (. _ -)',
    ],
    ["ghcr.io/a@sha256:123", 'image reference "ghcr.io/a@sha256:123": "sha256:123" is not a sha256:<64 hex> digest'],
  ])("%j is refused in one line", (input, message) => {
    let err: Error | undefined;
    try {
      parseReference(input);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toBe(message);
    expect(err?.message).not.toContain("\n");
  });

  test("format round-trips", () => {
    for (const s of ["oci:out/app:v1", "127.0.0.1:5000/acme/bp:latest", `ghcr.io/a/b:t@${D}`]) {
      expect(formatReference(parseReference(s))).toBe(s);
    }
  });

  test("loopback hosts", () => {
    expect(["127.0.0.1:5000", "127.3.4.5", "localhost:80", "[::1]:5000"].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(["ghcr.io", "10.0.0.1:5000", "localhost.example.com"].map(isLoopbackHost)).toEqual([false, false, false]);
  });
});
