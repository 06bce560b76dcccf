/**
 * Class counts for the memory calculator's metaspace estimate, taken at build time:
 * - the JVM's: the resource count in the header of the runtime's `lib/modules` jimage (all
 *   resources, of which classes are nearly all; Paketo walks the image's location table to
 *   count only `.class` ones, a few percent fewer);
 * - the app's (app-scan.ts): files with a class extension in the app dir, plus such entries
 *   in its jars (Paketo's count.Classes: .class, .classdata, .clj, .groovy, .kts).
 */
import { open } from "node:fs/promises";
import { join } from "node:path";

/** Paketo's class extensions (libjvm count/count_classes.go). */
export const CLASS_EXTENSIONS: readonly string[] = [".class", ".classdata", ".clj", ".groovy", ".kts"];

/** Whether a file or jar entry counts as a class (see {@link CLASS_EXTENSIONS}). */
export const isClass = (name: string): boolean => CLASS_EXTENSIONS.some((e) => name.endsWith(e));

/** jimage's magic number, little-endian on disk. */
const JIMAGE_MAGIC = 0xcafedada;

/**
 * The resource count of `<javaHome>/lib/modules`, or undefined when it is missing or not a
 * jimage (then the calculator counts only the app's classes).
 */
export async function jvmClassCount(javaHome: string): Promise<number | undefined> {
  const file = await open(join(javaHome, "lib", "modules")).catch(() => undefined);
  if (!file) return undefined;
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await file.read(header, 0, 20, 0);
    if (bytesRead < 20 || header.readUInt32LE(0) !== JIMAGE_MAGIC) return undefined;
    return header.readInt32LE(16);
  } finally {
    await file.close();
  }
}
