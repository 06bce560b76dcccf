import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../../../../test/support/temp-dir.js";
import { fileSha256, sourceTree } from "./source-tree.js";

let dir: string;
tempDirPerTest("java-source-tree", (d) => {
  dir = d;
});

/** A two-module Maven app with the dirs that are never sources and a target/ of its own. */
const APP: Record<string, string> = {
  "pom.xml": "<project/>\n",
  "core/pom.xml": "<project><artifactId>core</artifactId></project>\n",
  "core/src/main/java/A.java": "class A {}\n",
  ".mvn/wrapper/maven-wrapper.properties": "distributionUrl=x\n",
  "src/main/resources/app.properties": "a=1\n",
  "target/classes/A.class": "bytes",
  ".git/HEAD": "ref: refs/heads/main\n",
  "node_modules/x/index.js": "module.exports = 1;\n",
};

async function write(files: Record<string, string>): Promise<string[]> {
  for (const [f, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, f)), { recursive: true });
    await writeFile(join(dir, f), text);
  }
  return Object.keys(files);
}

test("one walk reads each source once, and neither the never-sources nor the tool's outputs", async () => {
  const files = await write(APP);
  const reads: string[] = [];
  const tree = await sourceTree(dir, files, ["target"], (path) => {
    reads.push(path.slice(dir.length + 1));
    return fileSha256(path);
  });
  const sources = [
    ".mvn/wrapper/maven-wrapper.properties",
    "core/pom.xml",
    "core/src/main/java/A.java",
    "pom.xml",
    "src/main/resources/app.properties",
  ];
  expect(reads.sort()).toEqual(sources);
  expect(Object.keys(tree.sha256).sort()).toEqual(sources);
  expect(tree.sha256["pom.xml"]).toBe(
    createHash("sha256")
      .update(APP["pom.xml"] as string)
      .digest("hex"),
  );
});

test("the digest is the one maven_build and gradle_build were keyed on before the walk kept each file's sha256", async () => {
  // The value the former sourceDigest gave for APP: a changed value would re-key every cached build.
  const tree = await sourceTree(dir, await write(APP), ["target"]);
  expect(tree.digest).toBe("71bae5082de9d74acf569ec928c8a43ca008117b5bc129bce6b440b6f72df5f0");
});

test("a file larger than what is read whole is streamed to the same sha256", async () => {
  const big = Buffer.alloc(1.5 * 1024 * 1024, "a");
  await writeFile(join(dir, "big.bin"), big);
  expect(await fileSha256(join(dir, "big.bin"))).toBe(createHash("sha256").update(big).digest("hex"));
});
