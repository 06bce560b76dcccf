/**
 * What a failed Python tool (python, pip, uv, poetry, pipenv) says went wrong: one line a
 * user can act on, with a hint when the output shows a known cause (a lockfile out of sync,
 * a package that needs a compiler). `runTool` of `@cnbkit/framework/process` runs the tool.
 */
import { CnbError } from "@cnbkit/framework";
import type { ToolFailure } from "@cnbkit/framework/process";

/** Known causes: what the output says, the error line (which names the file to fix), and the hint. */
const CAUSES: { when: RegExp; line: (m: RegExpExecArray) => string; hint: string }[] = [
  {
    when: /lockfile at `?uv\.lock`? needs to be updated|The lockfile .* needs to be updated/i,
    line: () => "uv.lock is out of sync with pyproject.toml",
    hint: 'Run "uv lock" and commit uv.lock.',
  },
  {
    when: /pyproject\.toml changed significantly since poetry\.lock was last generated|poetry\.lock.*not consistent/i,
    line: () => "poetry.lock is out of sync with pyproject.toml",
    hint: 'Run "poetry lock" and commit poetry.lock.',
  },
  {
    // Poetry checks the CPython against [tool.poetry.dependencies] python itself: BP_CPYTHON_VERSION
    // may choose one the project rules out (1chooo/django-template, "3.12.*").
    when: /Current Python version \(([\d.]+)\) is not allowed by the project \(([^)]+)\)/,
    line: (m) => `pyproject.toml: Poetry refuses CPython ${m[1]}: [tool.poetry.dependencies] python is "${m[2]}"`,
    hint: "Let python allow this CPython, or build with a builder that carries one it allows.",
  },
  {
    // Poetry 2 refuses a project whose [tool.poetry] requires-poetry excludes it: the build
    // picks a Poetry in range (poetry-version.ts), so this is a BP_POETRY_VERSION range outside it.
    when: /This project requires Poetry (\S+(?:,\s*\S+)*), but you are using Poetry (\S+)/,
    line: (m) => `pyproject.toml: Poetry ${m[2]} refuses to run: [tool.poetry] requires-poetry is "${m[1]}"`,
    hint: "Set BP_POETRY_VERSION to a Poetry in that range, or unset it to let requires-poetry choose.",
  },
  {
    // Poetry's solver when it locks during the build (no poetry.lock): its reason is the line
    // to act on, e.g. "Because hello depends on bottle (0.0.404) which doesn't match any versions".
    when: /(Because [\s\S]*?), version solving failed\./,
    line: (m) => `pyproject.toml: Poetry cannot lock the dependencies: ${m[1]!.replace(/\s+/g, " ")}`,
    hint: 'Change the version constraints in pyproject.toml until "poetry lock" succeeds, and commit poetry.lock.',
  },
  {
    when: /Pipfile\.lock \(\w+\) out of date|Pipfile\.lock is out-of-date/i,
    line: () => "Pipfile.lock is out of date with Pipfile",
    hint: 'Run "pipenv lock" and commit Pipfile.lock.',
  },
];

/** What a compiler that is not there looks like in setuptools', pip's, uv's and Poetry's output. */
const NO_COMPILER =
  /command '([^']*)' failed: No such file or directory|No such file or directory: '([^']*)'|unable to execute '([^']*)': No such file|(\S+): (?:command )?not found/g;
const COMPILER = /(?:^|\/)(?:[\w.-]+-)?(?:gcc|cc|clang|g\+\+|c\+\+)(?:-[\d.]+)?$/;
/** The package whose build failed: pip's "Failed building wheel for", uv's "Failed to build `x @ …`". */
const FAILED_PACKAGE =
  /Failed (?:building wheel for|to build) [`']?([A-Za-z0-9][\w.-]*)(?![\w.+:-])|Building wheel for ([A-Za-z0-9][\w.-]*) \(/;

/**
 * A C library's headers a source build did not find: gcc's "fatal error: libpq-fe.h: No such
 * file or directory", or Pillow's "The headers or library files could not be found for jpeg"
 * (MrJasur/deploy: Pillow 9.1.0 has no CPython 3.11 wheel).
 */
const MISSING_LIBRARY =
  /fatal error: ([\w./+-]+\.h): No such file or directory|The headers or library files could not be found for ([\w.+-]+)|(pg_config) executable not found/;

/**
 * A package that has to be compiled (no wheel for this platform) on a build image with no C
 * compiler (or without CPython's headers): the error line and hint, or undefined.
 */
export function compilerFailure(output: string): { line: string; hint: string } | undefined {
  const failed = FAILED_PACKAGE.exec(output);
  const pkg = failed ? (failed[1] ?? failed[2]) : undefined;
  const name = pkg ?? "a package";
  if (/Python\.h: No such file or directory/.test(output)) {
    return {
      line: `${name} has no wheel for this platform and its C extension needs CPython's headers (Python.h), which this CPython lacks`,
      hint: "Pin a version that publishes a wheel for this Python and architecture, or use a CPython build that ships include/ (python-build-standalone's do).",
    };
  }
  const lib = MISSING_LIBRARY.exec(output);
  if (lib) {
    const what = lib[1]
      ? `the C header ${lib[1]}`
      : lib[2]
        ? `the headers of ${lib[2]}`
        : "pg_config (libpq's -dev package)";
    return {
      line: `${name} has no wheel for this platform, and building it needs ${what}, which the build image lacks`,
      hint: !lib[3]
        ? "Pin a version that publishes a wheel for this Python and architecture, or use a build image with that library's -dev package."
        : /-binary$/i.test(name)
          ? // digitalocean/sample-django: psycopg2-binary 2.9.3 has no CPython 3.11 wheel.
            `${name} publishes wheels, but not this version for this Python and architecture (pip fell back to its source): pin a newer ${name}.`
          : "Use psycopg2-binary (or psycopg[binary] 3), which publish wheels; psycopg2 built from source needs libpq-dev in the build image and libpq5 in the run image.",
    };
  }
  for (const m of output.matchAll(NO_COMPILER)) {
    const cmd = m[1] ?? m[2] ?? m[3] ?? m[4] ?? "";
    if (!COMPILER.test(cmd.split(/\s/)[0]!)) continue;
    return {
      line: `${name} has no wheel for this platform and the build image has no C compiler ("${cmd}" not found)`,
      hint: "Pin a version that publishes a wheel for this Python and architecture, or use a build image with gcc and the headers it needs.",
    };
  }
  return undefined;
}

/** A failure that names no distribution pip or uv could fetch: then an index was out of reach. */
const NOTHING_FETCHED =
  /Could not find a version that satisfies|No matching distribution found|Failed to fetch|Max retries exceeded|Could not fetch URL/;
/** What an unreachable host looks like in urllib3's (pip, Pipenv, Poetry) and uv's messages, and what it means. */
const UNREACHABLE: readonly [RegExp, string][] = [
  [
    /NameResolutionError|Name or service not known|Temporary failure in name resolution|dns error/i,
    "its name does not resolve",
  ],
  [
    /CERTIFICATE_VERIFY_FAILED|certificate verify failed|invalid peer certificate|UnknownIssuer/i,
    "its TLS certificate is not trusted",
  ],
  [/Connection refused/i, "the connection was refused"],
  [/timed out|ConnectTimeout/i, "the connection timed out"],
];

/**
 * The package index a failed install could not reach, and why: pip prints the cause only in
 * the retry warnings above its "Could not find a version that satisfies …" (seen: an outside
 * Pipfile whose source was the retired pypi.python.org).
 *
 * @example
 * unreachableIndex("WARNING: Retrying … NameResolutionError(\"HTTPSConnection(host='pypi.python.org', port=443): …\nERROR: No matching distribution found for six")
 * // { host: "pypi.python.org", why: "its name does not resolve" }
 */
export function unreachableIndex(output: string): { host: string; why: string } | undefined {
  if (!NOTHING_FETCHED.test(output)) return undefined;
  // uv names the URL on one line and the cause on the next ("Caused by: dns error: …").
  let lastHost: string | undefined;
  for (const line of output.split(/\r?\n/)) {
    const host = /host='([^']+)'|Failed to resolve '([^']+)'|https?:\/\/([^/:'"`\s)]+)/.exec(line);
    lastHost = host?.[1] ?? host?.[2] ?? host?.[3] ?? lastHost;
    const kind = UNREACHABLE.find(([re]) => re.test(line));
    if (kind && lastHost) return { host: lastHost, why: kind[1] };
  }
  return undefined;
}

/**
 * The most telling error line in a tool's output, if any: an `error:` line, a Python
 * exception (the last line of a traceback, module path dropped: Pipenv's
 * "DataValidationError: Missing required field: name", or with a module path any class name:
 * Django's "ImproperlyConfigured: The SECRET_KEY setting must not be empty."), or Poetry's boxed
 * "Unable to find installation candidates for x (1.2)".
 *
 * @example
 * errorLine("Traceback …\n  pipenv.vendor.plette.models.base.DataValidationError: Missing required field: name") // "DataValidationError: Missing required field: name"
 */
export function errorLine(output: string): string | undefined {
  // In a chained traceback the exception raised last is the cause to report: the first one
  // was handled (hatchling's AttributeError for a missing editable hook came before the
  // ValueError that says which files it could not find).
  let from = 0;
  for (const m of output.matchAll(CHAINED)) from = m.index + m[0].length;
  // Poetry draws its messages in a "| " box.
  const lines = output
    .slice(from)
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^\|\s?/, ""));
  const re =
    /^(?:error|ERROR|×|\[ERROR\]):?\s*(.+)$|^(?:[A-Za-z_]\w*\.)*(\w*(?:Error|Exception): .+)$|^(Unable to find installation candidates for .+)$|^(?:[a-z_]\w*\.)+([A-Z]\w*: .+)$/;
  for (const l of lines) {
    const m = re.exec(l);
    const found = (m?.[1] ?? m?.[2] ?? m?.[3] ?? m?.[4])?.trim();
    if (found && !FRAMING.test(found)) return shortVersionList(found);
  }
  return undefined;
}

/**
 * pip's "(from versions: …)" with the oldest dropped when there are many: Django's lists 400
 * and made the error line ~3,000 characters.
 *
 * @example
 * shortVersionList("… (from versions: 1.0, 1.1, 1.2, 2.0, 2.1, 2.2, 3.0)") // "… (from versions: 1.0, …, 2.1, 2.2, 3.0; 7 in all)"
 */
function shortVersionList(line: string): string {
  return line.replace(/\(from versions: ([^)]*)(\)|$)/, (all, list: string, closed: string) => {
    const versions = list.split(/,\s*/).filter((v) => v !== "");
    if (versions.length <= 6) return all;
    // Pipenv wraps pip's lines at its console's width: the list then runs on, unclosed, and
    // the newest versions are on lines this one does not have.
    if (!closed) return `(from versions: ${versions.slice(0, 3).join(", ")}, …)`;
    return `(from versions: ${versions[0]}, …, ${versions.slice(-3).join(", ")}; ${versions.length} in all)`;
  });
}

/** Python's words between the exceptions of a chained traceback. */
const CHAINED =
  /During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:/g;

/**
 * pip's error lines that frame the cause instead of saying it: "subprocess-exited-with-error"
 * and "× Getting requirements to build wheel did not run successfully." come before the
 * subprocess's own "Error: pg_config executable not found."; "Ignored the following yanked
 * versions" comes before "Could not find a version that satisfies the requirement …".
 */
const FRAMING =
  /^(?:subprocess-exited-with-error|metadata-generation-failed|Ignored the following (?:yanked )?versions|.* did not run successfully\.$)/;

/** git's own words when it cannot fetch a repository: pip, uv, Poetry and Pipenv all run it. */
const GIT_UNREACHABLE = /fatal: unable to access '([^']+)': (.+)/;
/** pip's, uv's and the shell's words for a git that is not installed. */
const NO_GIT =
  /Cannot find command 'git'|\bgit: (?:command )?not found|No such file or directory: 'git'|Git executable not found/;
const GIT_HINT =
  "A git dependency is cloned during the build: let the build reach its host, or depend on a released version from the package index (a wheel) instead.";

/**
 * A VCS dependency (`git+https://…`) that could not be cloned: the line names the repository
 * and git's reason. Before, pip's "Failed to build 'git+https://…'" was read as a package
 * named git that failed to compile (an outside Sanic app's discord.py@rewrite).
 *
 * @example
 * gitFailure("fatal: unable to access 'https://github.com/x/y/': Could not resolve host: github.com")?.line
 * // "the git dependency https://github.com/x/y/ cannot be cloned: Could not resolve host: github.com"
 */
export function gitFailure(output: string): { line: string; hint: string } | undefined {
  const unreachable = GIT_UNREACHABLE.exec(output);
  if (unreachable) {
    return {
      line: `the git dependency ${unreachable[1]} cannot be cloned: ${unreachable[2]!.trim()}`,
      hint: GIT_HINT,
    };
  }
  if (NO_GIT.test(output)) return { line: "a git dependency needs git, which the build image lacks", hint: GIT_HINT };
  return undefined;
}

/**
 * A pinned version pip passed over for its invalid metadata, which pip 24.1 and later reject
 * (PEP 440/508 enforced): pip then says only "Could not find a version that satisfies the
 * requirement uvicorn==0.12.1", a version PyPI lists (debjava/python-fastapi-pipenv: uvicorn
 * 0.12.1 declares "python-dotenv (>=0.13.*)"). The package named is the failing requirement's
 * when pip passed over several.
 *
 * @example
 * invalidMetadata("WARNING: Ignoring version 0.12.1 of uvicorn since it has invalid metadata:\nRequested uvicorn==0.12.1 from https://… has invalid metadata: .* suffix can only be used with `==` or `!=` operators\n    python-dotenv (>=0.13.*) ; extra == 'standard'")
 * // { name: "uvicorn", version: "0.12.1", why: ".* suffix can only be used with `==` or `!=` operators: python-dotenv (>=0.13.*) ; extra == 'standard'" }
 */
export function invalidMetadata(output: string): { name: string; version: string; why: string } | undefined {
  const ignored = [...output.matchAll(/Ignoring version (\S+) of ([A-Za-z0-9][\w.-]*) since it has invalid metadata/g)];
  if (ignored.length === 0) return undefined;
  const wanted = /satisfies the requirement ([A-Za-z0-9][\w.-]*)==([^\s;,)]+)/.exec(output);
  const hit =
    ignored.find((m) => wanted && m[2]!.toLowerCase() === wanted[1]!.toLowerCase() && m[1] === wanted[2]) ??
    ignored[0]!;
  const [, version, name] = hit;
  // pip's reason, then the offending requirement on the next line (under it, a "~~~^" marker).
  const lines = output.slice(hit.index).split(/\r?\n/);
  const at = lines.findIndex((l) => /has invalid metadata: /.test(l));
  const reason = at >= 0 ? lines[at]!.replace(/.*has invalid metadata: /, "").trim() : "";
  const offending = at >= 0 ? lines[at + 1]?.trim() : undefined;
  const why = [reason, offending && !/^[~^\s]*$/.test(offending) ? offending : undefined].filter(Boolean).join(": ");
  return { name: name!, version: version!, why };
}

/** One line (and a hint) for a failed run, from its output. */
export function explainFailure(command: readonly string[], status: string, output: string, where?: string): CnbError {
  const prefix = where ? `${where}: ` : "";
  const compiler = compilerFailure(output);
  if (compiler)
    return new CnbError(`${prefix}${compiler.line} ("${command.join(" ")}" failed, ${status})`, {
      hint: compiler.hint,
    });
  for (const c of CAUSES) {
    const m = c.when.exec(output);
    // These lines name their file already: a prefix would say it twice ("uv.lock: uv.lock is …").
    if (m) return new CnbError(`${c.line(m)} ("${command.join(" ")}" failed, ${status})`, { hint: c.hint });
  }
  const metadata = invalidMetadata(output);
  if (metadata) {
    const { name, version, why } = metadata;
    return new CnbError(
      `${prefix}${name} ${version} has metadata that pip 24.1 and later reject${why ? ` (${why})` : ""}, so pip found no ${name} ${version} to install ("${command.join(" ")}" failed, ${status})`,
      {
        // Pipenv runs the pip it vendors: BP_PIP_VERSION does not reach it.
        hint: command.some((c) => /pipenv$/.test(c))
          ? `Pin a later ${name} release, whose metadata is valid, then run "pipenv lock" and commit Pipfile.lock.`
          : `Pin a later ${name} release, whose metadata is valid (then re-lock, if a lock pins it), or set BP_PIP_VERSION=24.0, the last pip that installs it.`,
      },
    );
  }
  const index = unreachableIndex(output);
  if (index) {
    const tls = index.why.includes("certificate");
    return new CnbError(
      `${prefix}the package index at ${index.host} cannot be reached: ${index.why} ("${command.join(" ")}" failed, ${status})`,
      {
        hint: tls
          ? "Trust the CA of the proxy or index: bind its certificate with cnbkit/ca-certificates (e.g. --binding ca=<dir with ca.pem>)."
          : "Point the index at a host this build reaches (requirements.txt --index-url, Pipfile [[source]], [tool.uv] index, or PIP_INDEX_URL / PIPENV_PYPI_MIRROR), or fix the network.",
      },
    );
  }
  const git = gitFailure(output);
  if (git) return new CnbError(`${prefix}${git.line} ("${command.join(" ")}" failed, ${status})`, { hint: git.hint });
  const why = errorLine(output);
  // Only pip's and uv's own failure words: "Building wheel for x (" is there when it worked too.
  // Not "git" of 'git+https://…': a name that runs on into a "+" is a VCS URL.
  const built = /Failed (?:building wheel for|to build) [`']?([A-Za-z0-9][\w.-]*)(?![\w.+:-])/.exec(output)?.[1];
  // pip and uv name the app's own project by its URL, `pip install -e .` of a setup.py or a
  // pyproject.toml that fails: pip's "Failed to build 'file:///…'", uv's "Failed to build `x @ file:///…`".
  if (/Failed to build (?:'|`[^`\s]+ @ )file:\/\//.test(output)) {
    // uv's first error line is its own "Failed to build" frame: the backend's exception says why.
    const raised = [...output.matchAll(/^\s*(?:[a-z_]\w*\.)*([A-Z]\w*(?:Error|Exception): .+)$/gm)].at(-1)?.[1] ?? why;
    return new CnbError(
      `${prefix}the app's own project could not be built ("${command.join(" ")}" failed, ${status})${raised ? `: ${raised.trim()}` : ""}`,
      {
        hint: "The error is in the project's own build (setup.py, setup.cfg or pyproject.toml [build-system]): fix it there, or list the dependencies in requirements.txt.",
      },
    );
  }
  if (built)
    return new CnbError(
      `${prefix}${built} could not be built from source ("${command.join(" ")}" failed, ${status})${why ? `: ${why}` : ""}`,
      {
        hint: `Pin a version of ${built} that publishes a wheel for this Python and architecture: an old pin often has none for a newer CPython, and its source no longer builds.`,
      },
    );
  const hint = HINTS.map(([re, say]) => {
    const m = re.exec(output);
    return m ? say(m, output) : undefined;
  }).find((h) => h !== undefined);
  return new CnbError(
    `${prefix}"${command.join(" ")}" failed (${status})${why ? `: ${why}` : ""}`,
    hint ? { hint } : undefined,
  );
}

/**
 * Hints for failures whose line the tool's own words already give, where those words alone
 * send the user the wrong way: what they mean here, from outside apps that hit them.
 */
const HINTS: readonly [RegExp, (m: RegExpExecArray, output: string) => string | undefined][] = [
  // Poetry's PyPI source lists a version's files from PyPI's JSON API, which a mirror or proxy
  // that serves only the simple index answers with 404 (four outside apps): the lock is fine,
  // and Poetry's own advice, to regenerate it, does not help.
  [
    /Unable to find installation candidates for ([A-Za-z0-9][\w.-]*) \(([^)\s]+)\)/,
    (m) =>
      `Poetry's PyPI source lists files from https://pypi.org/pypi/${m[1]}/${m[2]}/json. Behind a mirror or proxy that ` +
      'serves only the simple index, add [[tool.poetry.source]] with url = "<index>/simple" and priority = "primary" to ' +
      `pyproject.toml, then run "poetry lock". Otherwise pin a version of ${m[1]} with a file for this platform.`,
  ],
  // pip leaves out the versions whose Requires-Python rules out this CPython, and says so in a
  // line before "No matching distribution" (heroku/python-getting-started's Django 6 on 3.11).
  [
    /Ignored the following versions that require a different python version: (.+)/,
    (m, output) => {
      const ignored = [...m[1]!.matchAll(/(\S+) Requires-Python ([^;]+)/g)];
      // pip lists what it passed over for every package it looked up: an exact pin missing
      // from the list failed for another reason, which the error line gives.
      const pinned = /satisfies the requirement [A-Za-z0-9][\w.-]*==([^\s;,)]+)/.exec(output)?.[1];
      if (pinned && !ignored.some((n) => n[1] === pinned)) return undefined;
      const needs = ignored.map((n) => `${n[1]} needs ${n[2]!.trim()}`);
      const shown = needs.length > 3 ? ["…", ...needs.slice(-3)] : needs;
      return `The versions asked for need another Python (${shown.join("; ")}): ask for a CPython they allow (.python-version, runtime.txt or BP_CPYTHON_VERSION) if the builder has one, or pin a version that supports this CPython.`;
    },
  ],
  // Pipenv before 2018 wrote sources with no name, which Pipenv now rejects (MrGallo/django-heroku-template).
  [
    /DataValidationError: Missing required field: name/,
    () =>
      'A [[source]] in Pipfile (and in Pipfile.lock\'s _meta.sources) has no name, as an old Pipenv wrote them: add name = "pypi" to it, then run "pipenv lock" and commit Pipfile.lock.',
  ],
];

/** For `runTool`'s `explain`: the error (and hint) of a Python tool's failure. */
export function explainPythonTool(failure: ToolFailure): CnbError {
  return explainFailure(failure.command, failure.status, failure.output, failure.where);
}
