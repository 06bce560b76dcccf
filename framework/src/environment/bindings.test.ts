import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { Bindings, bindingsRoot, memoryBinding, readBindings } from "./bindings.js";
import { CnbError } from "../errors/index.js";

let root: string;
tempDirPerTest("bindings", (d) => {
  root = d;
});

async function binding(name: string, files: Record<string, string>) {
  await mkdir(join(root, name), { recursive: true });
  for (const [f, v] of Object.entries(files)) await writeFile(join(root, name, f), v);
}

test("bindingsRoot prefers SERVICE_BINDING_ROOT, else <platform>/bindings", () => {
  expect(bindingsRoot({ SERVICE_BINDING_ROOT: "/sb" }, "/platform")).toBe("/sb");
  expect(bindingsRoot({}, "/platform")).toBe("/platform/bindings");
  expect(bindingsRoot({ SERVICE_BINDING_ROOT: "" }, "/platform")).toBe("/platform/bindings");
});

test("reads type, provider and entries; values only on demand", async () => {
  await binding("mirror", {
    type: "dependency-mirror\n",
    provider: " acme ",
    default: "https://m.example/{originalHost}",
  });
  await binding("db", { type: "postgresql", username: "u", password: "s3cret" });
  const list = await readBindings(root);
  expect(list.map((b) => b.name)).toEqual(["db", "mirror"]);
  const [db, mirror] = list;
  expect(mirror).toMatchObject({ name: "mirror", type: "dependency-mirror", provider: "acme", entries: ["default"] });
  expect(db?.provider).toBeUndefined();
  expect(db?.entries).toEqual(["password", "username"]);
  expect(await db?.read("password")).toBe("s3cret");
  expect(await db?.read("type")).toBeUndefined();
  expect(await db?.read("../mirror/default")).toBeUndefined();
  // The binding object holds no values, so printing it cannot leak a secret.
  expect(JSON.stringify(db)).not.toContain("s3cret");
});

test("Kubernetes-style mounts: hidden ..data dirs are skipped, symlinked entries are read", async () => {
  await mkdir(join(root, "k8s", "..2025_01_01"), { recursive: true });
  await writeFile(join(root, "k8s", "..2025_01_01", "type"), "dependency-mapping");
  await writeFile(join(root, "k8s", "..2025_01_01", "abc"), "https://x/y.tgz");
  await symlink("..2025_01_01", join(root, "k8s", "..data"));
  await symlink("..data/type", join(root, "k8s", "type"));
  await symlink("..data/abc", join(root, "k8s", "abc"));
  const [k8s] = await readBindings(root);
  expect(k8s?.type).toBe("dependency-mapping");
  expect(k8s?.entries).toEqual(["abc"]);
  expect(await k8s?.read("abc")).toBe("https://x/y.tgz");
});

test("dotfile entries are entries (npmrc bindings hold .npmrc); Kubernetes' ..data is not", async () => {
  await mkdir(join(root, "npm", "..2025_01_01"), { recursive: true });
  await writeFile(join(root, "npm", "..2025_01_01", ".npmrc"), "registry=https://r.example/\n");
  await writeFile(join(root, "npm", "..2025_01_01", "type"), "npmrc");
  await symlink("..2025_01_01", join(root, "npm", "..data"));
  await symlink("..data/.npmrc", join(root, "npm", ".npmrc"));
  await symlink("..data/type", join(root, "npm", "type"));
  await writeFile(join(root, "npm", "..stray"), "not an entry");
  const [npm] = await readBindings(root);
  expect(npm?.entries).toEqual([".npmrc"]);
  expect(await npm?.read(".npmrc")).toBe("registry=https://r.example/\n");
  expect(await npm?.read("..stray")).toBeUndefined();
});

test("a missing root means no bindings", async () => {
  expect(await readBindings(join(root, "nope"))).toEqual([]);
});

test("a binding without a type file is an error naming it", async () => {
  await binding("broken", { username: "u" });
  const err = await readBindings(root).catch((e) => e);
  expect(err).toBeInstanceOf(CnbError);
  expect(err.message).toBe(`${join(root, "broken")}: binding "broken" has no "type" file`);
});

test("Bindings: byType is case-insensitive, byName, one() refuses two", async () => {
  await binding("a", { type: "Dependency-Mapping" });
  await binding("b", { type: "dependency-mapping" });
  await binding("c", { type: "dependency-mirror" });
  const all = await Bindings.load({ SERVICE_BINDING_ROOT: root }, "/unused");
  expect(all.byType("dependency-mapping").map((b) => b.name)).toEqual(["a", "b"]);
  expect(all.byName("c")?.type).toBe("dependency-mirror");
  expect(all.byName("zzz")).toBeUndefined();
  expect(all.one("dependency-mirror")?.name).toBe("c");
  expect(all.one("ca-certificates")).toBeUndefined();
  expect(() => all.one("dependency-mapping")).toThrow(
    'found 2 bindings of type "dependency-mapping" (a, b); expected at most one',
  );
});

test("memoryBinding behaves like a directory binding", async () => {
  const b = memoryBinding("m", "dependency-mirror", { default: "https://m", "github.com": "https://g" });
  expect(b.entries).toEqual(["default", "github.com"]);
  expect(await b.read("github.com")).toBe("https://g");
  expect(await b.read("toString")).toBeUndefined();
});
