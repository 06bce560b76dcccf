/**
 * The line `cnbkit build` prints when the image it made has no default process: no buildpack
 * of the group set a start command. Only the platform sees the group's final result (a
 * buildpack that sets none cannot know whether a later one will), so the check lives here.
 *
 * It is a warning, not a failure: the CNB spec allows an image without a default process, and
 * platforms start such images with a command of their own (`cnbkit run <image> -- <cmd>`,
 * kpack or Tekton with `command:`, a Dockerfile `FROM` it), and an image of built assets is a
 * fair product. But a PHP, .NET, Ruby or Elixir app whose package.json was all cnbkit could
 * build (laravel/laravel, dotnet/eShop) must not look served: the line says so, and which
 * languages cnbkit's buildpacks serve.
 */
import { readdir } from "node:fs/promises";
import { inspectImage } from "./inspect.js";

/** Files that say an app is written in a language cnbkit's buildpacks do not serve. */
const UNSERVED: readonly [RegExp, string][] = [
  [/^composer\.json$/, "PHP"],
  [/^Gemfile$/, "Ruby"],
  [/^mix\.exs$/, "Elixir"],
  [/\.(csproj|fsproj|sln|slnx|slnf)$/, ".NET"],
];

/** What cnbkit's reference buildpacks serve. */
const SERVED = "Node.js, Python, Java, Go and static sites";

/** The app's language when a file at its top says it is one cnbkit does not serve, with that file. */
export async function unservedLanguage(appDir: string): Promise<{ language: string; file: string } | undefined> {
  const names = await readdir(appDir).catch(() => [] as string[]);
  for (const [re, language] of UNSERVED) {
    const file = names.find((n) => re.test(n));
    if (file) return { language, file };
  }
  return undefined;
}

/**
 * The warning for an image with no default process, or undefined when it has one.
 *
 * @example
 * noStartCommandLine({ types: [], unserved: { language: "PHP", file: "composer.json" } })
 * // "warning: the image has no start command (no buildpack set a default process): composer.json says ..."
 */
export function noStartCommandLine(found: {
  types: readonly string[];
  unserved: { language: string; file: string } | undefined;
}): string {
  const head = "warning: the image has no start command (no buildpack set a default process)";
  if (found.unserved) {
    const { language, file } = found.unserved;
    return `${head}: ${file} says this is a ${language} app, and cnbkit's buildpacks serve ${SERVED}, not ${language}; the image holds only what they built (its package.json's assets, say) and cannot serve the app`;
  }
  if (found.types.length > 0) {
    return `${head}: start one of its process types with cnbkit run --process (${found.types.join(", ")}), or build with --default-process`;
  }
  return `${head}: add a Procfile with a web: line and build again, or start it with cnbkit run <image> -- <command>`;
}

/**
 * The warning for the image just built at `image` from `appDir`, or undefined. Best effort: an
 * image that cannot be read back (a registry that refuses a second read) gives no line rather
 * than failing a build that succeeded.
 */
export async function noStartCommandWarning(image: string, appDir: string): Promise<string | undefined> {
  const info = await inspectImage(image).catch(() => undefined);
  if (info === undefined || info.processes.some((p) => p.default)) return undefined;
  return noStartCommandLine({ types: info.processes.map((p) => p.type), unserved: await unservedLanguage(appDir) });
}
