/**
 * The launcher: a POSIX sh script (the run image has /bin/sh and nothing else that could
 * template) that writes the nginx.conf with the launch environment filled in, then runs
 * nginx in the foreground and turns SIGTERM into nginx's graceful stop (SIGQUIT).
 *
 * The template is compiled at build into a here-document in which only the placeholders
 * expand; everything else (nginx's own `$uri`, `$host`) is escaped. Placeholders:
 * `${PORT}`, `$PORT` and Paketo's `{{port}}` (PORT, default 8080); `{{env "NAME"}}` (Paketo's)
 * and `${NAME}` for an upper-case NAME (empty when unset at launch). nginx's own variables
 * are lower-case, so `${NAME}` never takes one of them.
 */

/** Where the launcher gets nginx and mime.types from, and how to start it. */
export interface LauncherInputs {
  /** The nginx.conf template (generated, or the app's own). */
  template: string;
  /** The nginx install: `<nginx>/sbin/nginx`, `<nginx>/conf/mime.types`, `<nginx>/lib`. */
  nginxHome: string;
}

/** The here-document's delimiter; a template line equal to it is impossible after escaping. */
const EOF_MARK = "CNBKIT_NGINX_CONF_EOF";

/** Placeholders, in the order they are tried at each `$` or `{{`. */
const PLACEHOLDER =
  /\{\{\s*port\s*\}\}|\{\{\s*env\s+"([A-Za-z_][A-Za-z0-9_]*)"\s*\}\}|\$\{([A-Z_][A-Z0-9_]*)\}|\$PORT(?![A-Za-z0-9_])/g;

/**
 * The template as the body of an unquoted sh here-document: placeholders become `${NAME}`
 * (PORT is set with its default before), every other `\`, `$` and backquote is escaped.
 */
export function hereDocBody(template: string): string {
  let out = "";
  let last = 0;
  const escaped = (s: string) => s.replace(/[\\$`]/g, (c) => `\\${c}`);
  for (const m of template.matchAll(PLACEHOLDER)) {
    out += escaped(template.slice(last, m.index));
    const name = m[1] ?? m[2] ?? "PORT";
    out += `\${${name}}`;
    last = (m.index ?? 0) + m[0].length;
  }
  out += escaped(template.slice(last));
  return out.endsWith("\n") ? out : `${out}\n`;
}

/** The env names a template reads at launch (PORT always), for the build's `nginx -t`. */
export function placeholderNames(template: string): string[] {
  const names = new Set<string>(["PORT"]);
  for (const m of template.matchAll(PLACEHOLDER)) names.add(m[1] ?? m[2] ?? "PORT");
  return [...names];
}

/** The template with the placeholders filled from `env` (unset ones empty, PORT defaulting to 8080). */
export function renderTemplate(template: string, env: Record<string, string | undefined>): string {
  return template.replace(PLACEHOLDER, (_all, a?: string, b?: string) => {
    const name = a ?? b ?? "PORT";
    return env[name] ?? (name === "PORT" ? "8080" : "");
  });
}

/** Single-quotes a string for sh. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * True when the configuration sets `name` itself at the top level or anywhere (a plain
 * token match after comments are dropped: good enough to not add a duplicate).
 */
export function setsDirective(conf: string, name: string): boolean {
  const code = conf.replace(/#[^\n]*/g, "");
  return new RegExp(`(^|[;{}\\s])${name}\\s`, "m").test(code);
}

/**
 * The app's own nginx.conf made runnable as the CNB user: what nginx would otherwise write
 * under /run, /var/lib/nginx or /var/log/nginx (root's paths, compiled in) is sent to the
 * run directory or stdout, unless the app set it. No line is added, so nginx's line numbers
 * stay the app's.
 */
export function userConfFixes(conf: string): string {
  const top = setsDirective(conf, "pid") ? [] : ["pid nginx.pid;"];
  const http = [
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .filter((t) => !setsDirective(conf, `${t}_temp_path`))
      .map((t) => `${t}_temp_path ${t};`),
    ...(setsDirective(conf, "access_log") ? [] : ["access_log /dev/stdout;"]),
  ];
  // Added on lines that are there already, so nginx -t's line numbers are the app's own.
  let out = conf;
  if (http.length > 0) out = out.replace(/(^|[\s;}])http\s*\{/m, (m) => `${m} ${http.join(" ")}`);
  return top.length > 0 ? `${top.join(" ")} ${out}` : out;
}

/**
 * The launcher script.
 *
 * @example
 * launcherScript({ template: nginxConf(opts), nginxHome: "/layers/cnbkit_web/nginx" });
 */
export function launcherScript({ template, nginxHome }: LauncherInputs): string {
  const daemon = setsDirective(template, "daemon") ? "" : ` -g ${shQuote("daemon off;")}`;
  const nginx = shQuote(`${nginxHome}/sbin/nginx`);
  return [
    "#!/bin/sh",
    "# Written by cnbkit/web: fills the launch env into nginx.conf, runs nginx, stops it gracefully.",
    "set -e",
    'PORT="${PORT:-8080}"',
    'run="${TMPDIR:-/tmp}/cnbkit-nginx"',
    'mkdir -p "$run"',
    `ln -sf ${shQuote(`${nginxHome}/conf/mime.types`)} "$run/mime.types"`,
    `cat > "$run/nginx.conf" <<${EOF_MARK}`,
    `${hereDocBody(template)}${EOF_MARK}`,
    // nginx opens /dev/stdout for the access log, which fails (ENXIO) when stdout is a socket
    // (a Node parent's pipes, some log shippers): stdout then becomes a FIFO that cat copies out.
    "if [ -S /proc/self/fd/1 ]; then",
    '  fifo="$run/stdout.$$"',
    '  rm -f "$fifo" && mkfifo "$fifo"',
    '  cat "$fifo" &',
    '  exec >"$fifo"',
    '  rm -f "$fifo"',
    "fi",
    `LD_LIBRARY_PATH=${shQuote(`${nginxHome}/lib`)}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}`,
    "export LD_LIBRARY_PATH",
    `${nginx} -p "$run/" -e stderr -c "$run/nginx.conf"${daemon} &`,
    "pid=$!",
    // SIGTERM (docker stop, Kubernetes) becomes SIGQUIT: nginx finishes the requests in flight.
    "trap 'kill -QUIT \"$pid\" 2>/dev/null || true' TERM INT QUIT",
    "set +e",
    // A trapped signal ends `wait` early (status 128+n): wait again until nginx has really
    // stopped, then once more for its own status, which dash and bash both keep for a
    // reaped child; nginx may exit between the early return and `kill -0`.
    'while kill -0 "$pid" 2>/dev/null; do wait "$pid"; done',
    'wait "$pid"',
    "",
  ].join("\n");
}
