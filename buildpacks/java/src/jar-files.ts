/**
 * Reading jars (zip files) without unpacking them: the names of their entries, and the text
 * of a few small ones (MANIFEST.MF, pom.properties). Entries are streamed one at a time, so
 * a big jar is never held in memory.
 */
import { CnbError } from "@cnbkit/framework";
import yauzl from "yauzl";

/** Largest entry {@link readJarEntries} reads (manifests and pom.properties are a few KB). */
const MAX_TEXT_ENTRY = 1024 * 1024;

/**
 * Visits every entry of `jar`; for names `wanted` accepts, the entry's text is passed too.
 *
 * @example
 * await readJarEntries("app.jar", (n) => n === "META-INF/MANIFEST.MF", (name, text) => ...);
 */
export async function readJarEntries(
  jar: string,
  wanted: (name: string) => boolean,
  visit: (name: string, text: string | undefined) => void,
): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(jar, { lazyEntries: true, autoClose: true }, (err, z) => (err || !z ? reject(err) : resolve(z))),
  ).catch((err: Error) => {
    throw new CnbError(`${jar}: not a readable jar (${err.message})`);
  });
  await new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", resolve);
    zip.on("entry", (entry: yauzl.Entry) => {
      const name = entry.fileName;
      if (name.endsWith("/") || !wanted(name) || entry.uncompressedSize > MAX_TEXT_ENTRY) {
        visit(name, undefined);
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("error", reject);
        stream.on("end", () => {
          visit(name, Buffer.concat(chunks).toString("utf8"));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
}

/** The text of one entry of `jar`, or undefined when it has none by that name. */
export async function readJarText(jar: string, name: string): Promise<string | undefined> {
  let text: string | undefined;
  await readJarEntries(
    jar,
    (n) => n === name,
    (n, t) => {
      if (n === name && t !== undefined) text = t;
    },
  );
  return text;
}
