/**
 * The nginx.conf cnbkit/web writes when the app brings none, as a template: `${PORT}` is
 * filled in at launch (launch-script.ts). Paths without a leading "/" (pid, temp dirs,
 * mime.types) are relative to the directory the launcher runs nginx in, under $TMPDIR, so
 * nginx runs as the CNB user on a read-only app and layers.
 */

/** What the generated configuration serves and how. */
export interface ConfOptions {
  /** The absolute directory served. */
  root: string;
  /** Unknown paths without a file extension answer index.html (client-side routes). */
  pushState: boolean;
  /** The page push state answers (default `/index.html`). */
  fallbackPage?: string | undefined;
  /** Requests that came to the proxy over plain http (`X-Forwarded-Proto: http`) get a 301 to https. */
  forceHttps: boolean;
  /** The root's own 404 page (`/404.html`), when it has one. */
  notFoundPage?: string | undefined;
  /**
   * The URL path the site was built for (`/repo`, base-path.ts): the root holds it as a link
   * to the site, `/` redirects to it, and the fallbacks are under it.
   */
  base?: string | undefined;
}

/** The health path: answered by nginx itself, never logged, never a file of the site. */
export const HEALTH_PATH = "/cnbkit/health";

/**
 * Names of files a bundler fingerprinted: a `.` or `-` then 8+ letters/digits (with at least
 * one digit, so `my-component.js` is not taken for `index-B7rSxW1M.js`) before the extension,
 * or anything under the immutable directories of Next.js, SvelteKit and Astro.
 */
export const FINGERPRINTED =
  "(/(_next/static|_app/immutable|_astro)/)|([.-](?=[A-Za-z_-]*[0-9])[A-Za-z0-9_]{8,}(\\.chunk)?\\.(js|mjs|css|map|woff2?|ttf|otf|eot|svg|png|jpe?g|gif|webp|avif|ico|wasm)$)";

/** The MIME types compressed on the fly (text that is not already compressed). */
const GZIP_TYPES =
  "text/plain text/css text/xml text/javascript application/javascript application/json application/xml application/manifest+json application/wasm image/svg+xml font/ttf font/otf";

/**
 * How files are read and sent, measured with bench/web.bench.ts against the same nginx run by
 * hand, under the image's runtime conditions.
 */
const FILE_IO = [
  // Off, measured (bench/web.bench.ts): a container's root filesystem is an overlay (runc's
  // here, containerd's in Kubernetes), and sendfile through overlayfs served the 100 KB asset
  // at ~0.7x of plain reads into nginx's buffers; on a plain file system the two are within noise.
  "  sendfile off;",
  "  tcp_nopush on;",
  "  keepalive_timeout 65;",
  // The site does not change while the image runs: keep its files' descriptors and lookups
  // (misses too) open instead of an open()+fstat per request, which on the container's
  // overlay root filesystem costs a lookup through every layer.
  "  open_file_cache max=10000 inactive=60s;",
  "  open_file_cache_valid 60s;",
  "  open_file_cache_min_uses 1;",
  "  open_file_cache_errors on;",
];

/**
 * The generated nginx.conf template.
 *
 * @example
 * nginxConf({ root: "/workspace/dist", pushState: true, forceHttps: false });
 */
export function nginxConf(o: ConfOptions): string {
  const base = o.base ?? "";
  const fallback = o.pushState ? `${base}${o.fallbackPage ?? "/index.html"}` : "=404";
  const lines = [
    "# Written by cnbkit/web. ${PORT} is filled in at launch.",
    "worker_processes auto;",
    "pid nginx.pid;",
    "error_log stderr;",
    "events {",
    "  worker_connections 1024;",
    "}",
    "http {",
    "  include mime.types;",
    "  default_type application/octet-stream;",
    // Buffered: one write per 64 KB or second instead of one per request, which under load
    // the reader of the container's stdout (a log driver) otherwise pays line by line.
    "  access_log /dev/stdout combined buffer=64k flush=1s;",
    "  server_tokens off;",
    ...FILE_IO,
    "  client_body_temp_path client_body;",
    "  proxy_temp_path proxy;",
    "  fastcgi_temp_path fastcgi;",
    "  uwsgi_temp_path uwsgi;",
    "  scgi_temp_path scgi;",
    "  gzip on;",
    "  gzip_static on;",
    "  gzip_vary on;",
    "  gzip_min_length 256;",
    "  gzip_proxied any;",
    `  gzip_types ${GZIP_TYPES};`,
    "  server {",
    "    listen ${PORT};",
    `    root ${quote(o.root)};`,
    "    index index.html;",
    // The container's port is not the one the browser used: redirects keep the request's host.
    "    absolute_redirect off;",
    ...(o.forceHttps
      ? ['    if ($http_x_forwarded_proto = "http") {', "      return 301 https://$host$request_uri;", "    }"]
      : []),
    ...(o.notFoundPage ? [`    error_page 404 ${base}${o.notFoundPage};`] : []),
    ...(base ? [`    location = / {`, `      return 302 ${base}/;`, "    }"] : []),
    `    location = ${HEALTH_PATH} {`,
    "      access_log off;",
    "      default_type text/plain;",
    '      return 200 "ok\\n";',
    "    }",
    `    location ~* "${FINGERPRINTED}" {`,
    '      add_header Cache-Control "public, max-age=31536000, immutable";',
    "      try_files $uri =404;",
    "    }",
    // HTML must be revalidated, or a deploy is not seen until the cache expires.
    "    location ~* \\.html?$ {",
    '      add_header Cache-Control "no-cache";',
    "      try_files $uri =404;",
    "    }",
    ...(o.pushState
      ? [
          // A missing asset is a 404, not the app's HTML: only paths without an extension are routes.
          "    location ~ \\.[A-Za-z0-9]+$ {",
          "      try_files $uri =404;",
          "    }",
        ]
      : []),
    // `/a/b/` where a/b/ is a directory without index.html but a/b.html is a page: a Next.js
    // export writes both (the directory holds the route's RSC payloads), and nginx answered 403.
    '    location ~ "^(?<page>.+)/$" {',
    '      add_header Cache-Control "no-cache";',
    `      try_files $uri/index.html $page.html ${fallback};`,
    "    }",
    "    location / {",
    '      add_header Cache-Control "no-cache";',
    `      try_files $uri $uri.html $uri/ ${fallback};`,
    "    }",
    "  }",
    "}",
    "",
  ];
  return lines.join("\n");
}

/** A path quoted for nginx when it needs it. */
function quote(path: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(path) ? path : `"${path.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
