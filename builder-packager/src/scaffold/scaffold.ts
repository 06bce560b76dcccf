/**
 * `cnbkit new`: a new buildpack, composite, builder or image extension project from a template, written
 * whole or not at all (into a temp directory beside the target, then renamed).
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { validateBuildpackId } from "@cnbkit/framework/cnb-files";
import { locateSources, type ScaffoldSources } from "./locate.js";
import { fillPlaceholders, npmPackageName, type PlaceholderValues } from "./placeholders.js";
import { PUBLISHED_CLI_SPEC, PUBLISHED_FRAMEWORK_SPEC } from "./published.js";

/** The templates `cnbkit new` offers. */
export const TEMPLATES = ["buildpack", "composite", "builder", "extension"] as const;

/** One of {@link TEMPLATES}. */
export type TemplateName = (typeof TEMPLATES)[number];

/** Options of {@link scaffold}. */
export interface ScaffoldOptions {
  template: TemplateName;
  /** The project directory: must not exist, or be empty. */
  dir: string;
  /** The buildpack id (builder: its org is the id up to the first `/`). Default `example/<dir name>`. */
  id?: string;
  /** The human name. Default: from the directory name (`hello-world` → `Hello World`). */
  name?: string;
  /**
   * The `@cnbkit/framework` dependency. Default: `file:<framework dir>` inside a cnbkit
   * checkout (works offline and from any directory), else {@link PUBLISHED_FRAMEWORK_SPEC}.
   */
  frameworkSpec?: string;
  /** The `@cnbkit/builder-packager` (cnbkit CLI) dependency, chosen the same way ({@link PUBLISHED_CLI_SPEC}). */
  cliSpec?: string;
  /** Where templates are read from (default: found next to the CLI). */
  sources?: ScaffoldSources;
}

/** What {@link scaffold} wrote. */
export interface ScaffoldResult {
  dir: string;
  template: TemplateName;
  id: string;
  name: string;
  /** Files written, relative to `dir`, sorted. */
  files: string[];
  /** Commands to run next, one per line. */
  nextSteps: string[];
}

/** Files of the CA certificates buildpack the builder template vendors (no package.json, no node_modules). */
const VENDORED = ["buildpack.toml", "README.md", "src", "testdata"];

/**
 * Writes a new project from a template and returns what was written and the next steps.
 *
 * @throws CnbError (one line) for an unknown template, a bad id or name, or a target that
 *   is a file or a non-empty directory. Nothing is written then.
 * @example
 * const r = await scaffold({ template: "buildpack", dir: "hello", id: "acme/hello" });
 * r.nextSteps; // ["cd hello", "npm install", "npm test", "npm run package"]
 */
export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const template = options.template;
  if (!TEMPLATES.includes(template)) {
    throw new CnbError(`--template "${template}" is not one of ${TEMPLATES.join(", ")}`);
  }
  const target = resolve(options.dir);
  const dirName = basename(target);
  const id = validateBuildpackId(options.id ?? `example/${defaultIdName(dirName)}`, "--id");
  const name = options.name ?? titleCase(dirName);
  if (name.trim() === "" || /["\\\n\r]|\{\{/.test(name)) {
    throw new CnbError(`--name ${JSON.stringify(name)} must be non-empty without quotes, backslashes, newlines or {{`);
  }
  await checkTarget(target);

  const sources = options.sources ?? locateSources();
  const values: PlaceholderValues = {
    id,
    name,
    dirName,
    fileName: id.replace(/\//g, "_"),
    packageName: npmPackageName(dirName),
    org: id.split("/")[0]!,
    frameworkSpec:
      options.frameworkSpec ?? (sources.framework ? `file:${sources.framework}` : PUBLISHED_FRAMEWORK_SPEC),
    cliSpec: options.cliSpec ?? (sources.builderPackager ? `file:${sources.builderPackager}` : PUBLISHED_CLI_SPEC),
  };

  const files = new Map<string, string>();
  const templateDir = join(sources.templates, template);
  for (const rel of await listFiles(templateDir)) {
    const text = await readFile(join(templateDir, rel), "utf8");
    files.set(outputName(rel), fillPlaceholders(text, values, `${template}/${rel}`));
  }
  if (template === "builder") {
    for (const [rel, text] of await vendorCaCertificates(sources.caCertificates, values.org)) {
      files.set(`buildpacks/ca-certificates/${rel}`, text);
    }
  }

  await mkdir(dirname(target), { recursive: true });
  const tmp = await mkdtemp(join(dirname(target), `.${dirName}.cnbkit-new-`));
  try {
    for (const [rel, text] of files) {
      await mkdir(dirname(join(tmp, rel)), { recursive: true });
      await writeFile(join(tmp, rel), text);
    }
    await chmod(tmp, 0o755);
    await checkTarget(target); // again: something may have appeared meanwhile
    await rename(tmp, target); // replaces an empty directory atomically
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }

  const rel = relative(process.cwd(), target);
  const shown = rel === "" ? "." : rel.startsWith("..") ? target : rel;
  const nextSteps = [`cd ${shown}`, "npm install", "npm test", "npm run package"];
  // builder.toml names the base images `npm run base` (cnbkit base create) writes to out/base.
  if (template === "builder") nextSteps.push("npm run base", "npm run builder");
  return { dir: target, template, id, name, files: [...files.keys()].sort(), nextSteps };
}

async function checkTarget(target: string): Promise<void> {
  if (!existsSync(target)) return;
  if (!(await stat(target)).isDirectory()) throw new CnbError(`${target} exists and is not a directory`);
  if ((await readdir(target)).length > 0) {
    throw new CnbError(`${target} is not empty; cnbkit new writes only into a new or empty directory`);
  }
}

/** Every file under `dir`, relative, sorted; node_modules and build output are skipped. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((rel) => !/(^|\/)(node_modules|out|dist)\//.test(rel) && !rel.endsWith(".cnb"))
    .sort();
}

/** npm drops `.gitignore` from published packages, so templates keep it as `gitignore`. */
function outputName(rel: string): string {
  return rel === "gitignore" || rel.endsWith("/gitignore") ? rel.replace(/gitignore$/, ".gitignore") : rel;
}

/**
 * The CA certificates buildpack, copied from its one source (buildpacks/ca-certificates)
 * with its id moved into the org: `<org>/ca-certificates`.
 */
async function vendorCaCertificates(dir: string, org: string): Promise<Map<string, string>> {
  if (!existsSync(join(dir, "buildpack.toml"))) {
    throw new CnbError(`cnbkit new: the CA certificates buildpack is missing (${dir}/buildpack.toml)`);
  }
  const out = new Map<string, string>();
  for (const top of VENDORED) {
    const path = join(dir, top);
    if (!existsSync(path)) continue;
    const rels = (await stat(path)).isDirectory() ? (await listFiles(path)).map((r) => `${top}/${r}`) : [top];
    for (const rel of rels) out.set(rel, await readFile(join(dir, rel), "utf8"));
  }
  const toml = out.get("buildpack.toml")!;
  const renamed = toml.replace(/^(\s*id\s*=\s*)"cnbkit\/ca-certificates"/m, `$1"${org}/ca-certificates"`);
  if (renamed === toml) throw new CnbError(`${dir}/buildpack.toml: [buildpack].id is not "cnbkit/ca-certificates"`);
  out.set("buildpack.toml", renamed);
  return out;
}

function defaultIdName(dirName: string): string {
  const s = dirName
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[.-]+|-+$/g, "");
  return s === "" ? "buildpack" : s;
}

function titleCase(dirName: string): string {
  const words = dirName.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.length === 0 ? "My Buildpack" : words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" ");
}
