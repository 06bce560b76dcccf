/**
 * extension.toml: the image extension descriptor (spec image_extension.md, Buildpack API
 * 0.10+): `api`, and `[extension]` with `id`, `version`, `name`, `homepage`, `description`.
 * An extension has no `[[order]]`, `[[stacks]]` or `[[targets]]`; parsing checks every
 * field once and a problem is one line naming the file and field.
 */
import { join } from "node:path";
import { readFileNow as readFile } from "../fs/now.js";
import { CnbError } from "../errors/index.js";
import { type BuildpackApi, isSupportedBuildpackApi, SUPPORTED_BUILDPACK_APIS } from "./api.js";
import { fail, optStr, quote, reqStr, table } from "./fields.js";
import { validateBuildpackId } from "./names.js";
import { parseToml } from "./toml.js";

/** `[extension]`. */
export interface ExtensionInfo {
  /** Validated as a buildpack id is: letters, digits, '.', '/', '-'. */
  id: string;
  /** The extension's version, as builders and order-extensions name it. */
  version: string;
  /** Human-readable name (the builder metadata label carries it). */
  name?: string;
  /** Where to learn about it. */
  homepage?: string;
  /** What it does, in a sentence. */
  description?: string;
}

/** extension.toml, typed and checked. */
export interface ExtensionDescriptor {
  /** The Buildpack API the extension speaks (extensions share the buildpack API's versions). */
  api: BuildpackApi;
  /** `[extension]`. */
  extension: ExtensionInfo;
}

/** Parses extension.toml text; `file` names it in messages. */
export function parseExtensionToml(text: string, file: string): ExtensionDescriptor {
  const doc = parseToml(text, file);
  const api = reqStr(doc, "api", file, "api");
  if (!isSupportedBuildpackApi(api)) {
    fail(file, "api", `${quote(api)} is not supported (supported: ${SUPPORTED_BUILDPACK_APIS.join(", ")})`);
  }
  if (doc.extension === undefined) fail(file, "[extension]", "is required");
  const t = table(doc.extension, file, "[extension]");
  const id = validateBuildpackId(reqStr(t, "id", file, "[extension].id"), `${file}: [extension].id`);
  const extension: ExtensionInfo = { id, version: reqStr(t, "version", file, "[extension].version") };
  for (const key of ["name", "homepage", "description"] as const) {
    const v = optStr(t, key, file, `[extension].${key}`);
    if (v !== undefined) extension[key] = v;
  }
  for (const key of ["order", "stacks", "targets"]) {
    // pack and the lifecycle read none of these for an extension; saying so beats ignoring them.
    if (doc[key] !== undefined)
      fail(file, key, "is not part of extension.toml (extensions have no order, stacks or targets)");
  }
  return { api, extension };
}

/** Reads `<dir>/extension.toml`. */
export async function readExtensionToml(dir: string): Promise<ExtensionDescriptor> {
  const file = join(dir, "extension.toml");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new CnbError(`${file}: not found; an extension dir needs extension.toml`);
    throw new CnbError(`${file}: cannot be read: ${(err as Error).message}`);
  }
  return parseExtensionToml(text, file);
}
