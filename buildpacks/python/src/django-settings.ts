/**
 * What a Django project's settings say, read from its files: the settings module manage.py
 * names (and what that module star-imports), the WSGI or ASGI application it sets, and
 * whether STATIC_ROOT is set. The start command (start-command.ts) serves the application;
 * the collectstatic step (steps/collect-static.ts) reads STATIC_ROOT.
 */

/**
 * The Django settings modules manage.py may name, most likely first: the literal it gives
 * setdefault("DJANGO_SETTINGS_MODULE", …); else every dotted name it quotes, `.settings`
 * ones first. manage.py may choose by environment (Azure's Django quickstart:
 * `'proj.production' if 'WEBSITE_HOSTNAME' in os.environ else 'proj.settings'`).
 *
 * @example
 * djangoSettingsCandidates("os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')") // ["mysite.settings"]
 */
export function djangoSettingsCandidates(manage: string): string[] {
  const literal = /["']DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']/.exec(manage)?.[1];
  if (literal) return [literal];
  if (!/DJANGO_SETTINGS_MODULE/.test(manage)) return [];
  const quoted = [...manage.matchAll(/["']([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)["']/g)].map((m) => m[1]!);
  const unique = [...new Set(quoted)].filter((q) => !q.startsWith("django."));
  return [...unique.filter((q) => q.endsWith(".settings")), ...unique.filter((q) => !q.endsWith(".settings"))];
}

/**
 * The settings module manage.py names whose file `files` hold (see
 * {@link djangoSettingsCandidates}). Its `text` includes what it star-imports, two levels
 * deep, as the settings packages of wagtail's bakerydemo do (`settings/dev.py`:
 * `from .base import *`, where WSGI_APPLICATION and STATIC_ROOT are set).
 */
export function djangoSettings(
  files: ReadonlyMap<string, string>,
): { module: string; file: string; text: string; files: string[] } | undefined {
  const manage = files.get("manage.py");
  if (manage === undefined) return undefined;
  for (const module of djangoSettingsCandidates(manage)) {
    const file = settingsFiles(module).find((f) => files.has(f));
    if (!file) continue;
    const texts = [files.get(file)!];
    const read = [file];
    let level = [{ module, file }];
    for (let depth = 0; depth < 2; depth++) {
      level = level.flatMap((m) =>
        starImports(m.module, m.file, files.get(m.file)!).flatMap((imported) => {
          const f = settingsFiles(imported).find((x) => files.has(x));
          return f ? [{ module: imported, file: f }] : [];
        }),
      );
      texts.push(...level.map((m) => files.get(m.file)!));
      read.push(...level.map((m) => m.file));
    }
    return { module, file, text: texts.join("\n"), files: read };
  }
  return undefined;
}

/**
 * The modules a settings file star-imports, as dotted names: `from .base import *` in
 * `proj/settings/dev.py` is `proj.settings.base`; `from proj.common import *` is itself.
 *
 * @example
 * starImports("proj.settings.dev", "proj/settings/dev.py", "from .base import *") // ["proj.settings.base"]
 */
export function starImports(module: string, file: string, text: string): string[] {
  // A package's __init__.py is the package itself; a module's package is its parent.
  const pkg = file.endsWith("__init__.py") ? module.split(".") : module.split(".").slice(0, -1);
  const out: string[] = [];
  for (const m of text.matchAll(/^from\s+(\.*)([\w.]*)\s+import\s+\*/gm)) {
    const dots = m[1]!.length;
    const name = m[2]!;
    if (dots === 0) out.push(name);
    else if (dots - 1 <= pkg.length)
      out.push([...pkg.slice(0, pkg.length - (dots - 1)), ...(name ? [name] : [])].join("."));
  }
  return out.filter((n) => n !== "" && !n.startsWith("django."));
}

/** The files a settings module may live in. */
export function settingsFiles(module: string): string[] {
  const base = module.replace(/\./g, "/");
  return [`${base}.py`, `${base}/__init__.py`];
}

/** Django's WSGI or ASGI application, from manage.py and its settings (both in `files`). */
export function djangoApp(
  files: ReadonlyMap<string, string>,
): { target: string; asgi: boolean; reason: string } | undefined {
  const found = djangoSettings(files);
  if (!found) return undefined;
  const { text: settings } = found;
  const pattern = (name: string) => new RegExp(`^${name}\\s*=\\s*["']([\\w.]+)["']`, "m");
  const setting = (name: string) => pattern(name).exec(settings)?.[1];
  const asgi = setting("ASGI_APPLICATION");
  const wsgi = setting("WSGI_APPLICATION");
  const chosen = asgi ?? wsgi;
  if (!chosen) return undefined;
  const dot = chosen.lastIndexOf(".");
  const target = `${chosen.slice(0, dot)}:${chosen.slice(dot + 1)}`;
  const name = asgi ? "ASGI_APPLICATION" : "WSGI_APPLICATION";
  // Named by the file that sets it: a settings module that star-imports its base
  // (config/settings/production.py, `from .base import *`) does not.
  const where = found.files.find((f) => pattern(name).test(files.get(f) ?? "")) ?? found.file;
  return { target, asgi: asgi !== undefined, reason: `Django project (${where} ${name})` };
}

/**
 * STATIC_ROOT is set in Django's settings (so collectstatic has somewhere to write), also
 * inside a block: Render's Django tutorial sets it under `if not DEBUG:`, and an app that
 * does so serves its pages with a manifest storage that fails without collectstatic's output.
 */
export function djangoHasStaticRoot(settings: string): boolean {
  return /^[ \t]*STATIC_ROOT\s*=\s*(?!None\b)\S/m.test(settings);
}
