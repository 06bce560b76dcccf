import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { afterAll, beforeAll, expect, test } from "vitest";
import yazl from "yazl";
import { EXPORT_MTIME, explodeWar } from "./explode-war.js";
import type { StepContext } from "./step-context.js";

// The WAR becomes the app dir Tomcat serves: unpacked whole, with one fixed time on every
// file (so the image does not depend on when the WAR was built), and never outside the app dir.
let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-explode-war-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A WAR of `files` (name → text), every entry dated `mtime`. */
async function war(path: string, files: Record<string, string>, mtime: Date): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name, { mtime, mode: 0o644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, Buffer.concat(chunks));
}

/** What a step needs of the build context here: the app dir and a log that keeps its lines. */
function stepContext(appDir: string, lines: string[]): StepContext<"app" | "log"> {
  return { app: { path: appDir }, log: { detail: (l: string) => lines.push(l) } } as unknown as StepContext<
    "app" | "log"
  >;
}

/** Every entry under `dir` with its mtime, sorted. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true })) {
    out.push(`${e} ${(await lstat(join(dir, e))).mtime.toISOString()}`);
  }
  return out.sort();
}

const FILES = {
  "index.jsp": "<%= 1 %>",
  "WEB-INF/web.xml": '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.1"/>',
  "WEB-INF/lib/spring-webmvc-7.0.8.jar": "not really a jar",
  "WEB-INF/classes/app/Web.class": "jakarta/servlet/http/HttpServlet",
};

test("the WAR replaces the app dir, every entry at the export time, whenever the WAR was built", async () => {
  const lists: string[][] = [];
  for (const [i, built] of [new Date("2026-11-27T18:00:00Z"), new Date("2025-01-02T03:04:06Z")].entries()) {
    const app = join(work, `app-${i}`);
    await war(join(app, "target", "petclinic.war"), FILES, built);
    await writeFile(join(app, "pom.xml"), "<project/>");
    const lines: string[] = [];
    const exploded = await explodeWar(stepContext(app, lines), "target/petclinic.war");
    expect(exploded.files).toBe(4);
    expect(exploded.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(exploded.facts.entries).toContain("WEB-INF/lib/spring-webmvc-7.0.8.jar");
    expect(lines).toEqual(["Exploded target/petclinic.war into the app directory (4 files), Tomcat's docBase"]);
    expect(await readFile(join(app, "index.jsp"), "utf8")).toBe("<%= 1 %>");
    expect(existsSync(join(app, "target"))).toBe(false);
    expect(existsSync(join(app, "pom.xml"))).toBe(false);
    expect((await lstat(app)).mtime).toEqual(EXPORT_MTIME);
    lists.push(await listing(app));
  }
  expect(lists[0]).toEqual(lists[1]);
  expect(lists[0]).toContain("WEB-INF/classes/app/Web.class 1980-01-01T00:00:01.000Z");
});

test("a WAR entry that climbs out with ../ is refused in one line naming the WAR and the entry", async () => {
  const app = join(work, "evil");
  const path = join(app, "target", "evil.war");
  // yazl will not write a ".." name; the same length patched into both headers is what an attacker ships.
  await war(path, { "index.html": "hi", "XX/XX/etc/evil.txt": "pwned" }, new Date());
  const bytes = await readFile(path);
  await writeFile(path, Buffer.from(bytes.toString("latin1").replaceAll("XX/XX/", "../../"), "latin1"));
  const err = await explodeWar(stepContext(app, []), "target/evil.war").catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CnbError);
  expect((err as CnbError).message).toBe('target/evil.war: entry "../../etc/evil.txt" has a ".." path component');
  expect((err as CnbError).hint).toBe("The WAR is unsafe to unpack; rebuild it so that every entry stays inside it.");
  // Nothing was unpacked or removed: the app dir is as it was, and nothing landed above it.
  expect(await readdir(app)).toEqual(["target"]);
  expect(existsSync(join(work, "etc"))).toBe(false);
});
