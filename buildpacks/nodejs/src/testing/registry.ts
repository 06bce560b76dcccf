/**
 * A private npm registry for tests: a node:http server on 127.0.0.1 that serves one scoped
 * package (`@cnbkit-private/greet@1.0.0`, packed here with tar) only to requests carrying
 * `Authorization: Bearer <token>`, and records every request. Real npm, yarn and pnpm installs
 * pointed at it prove that a build used the registry config it was given: without that
 * config they would ask registry.npmjs.org, which has no such package. Scoped, so a config
 * can send just that scope here and still install yarn or pnpm from the public registry.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The scope of the one package the registry serves. */
export const PRIVATE_SCOPE = "@cnbkit-private";

/** The one package the registry serves. */
export const PRIVATE_PACKAGE = `${PRIVATE_SCOPE}/greet`;

const PUBLISHED = "2020-01-01T00:00:00.000Z";
const TARBALL_PATH = `/${PRIVATE_PACKAGE}/-/greet-1.0.0.tgz`;

/** A request the registry answered. */
export interface RegistryRequest {
  path: string;
  /** True when it carried the expected bearer token. */
  authorized: boolean;
  status: number;
}

/** A running registry. */
export interface PrivateRegistry {
  /** `http://127.0.0.1:<port>/` (with the trailing slash npm config wants). */
  url: string;
  /** `127.0.0.1:<port>`, as npmrc auth keys (`//host:port/:_authToken`) spell it. */
  host: string;
  requests: RegistryRequest[];
  close(): Promise<void>;
}

/**
 * Starts the registry; only requests with `Authorization: Bearer <token>` get the package.
 *
 * @example
 * const reg = await startPrivateRegistry("s3cret");
 * // .npmrc: `@cnbkit-private:registry=${reg.url}\n//${reg.host}/:_authToken=s3cret\n`
 */
export async function startPrivateRegistry(token: string): Promise<PrivateRegistry> {
  const work = await mkdtemp(join(tmpdir(), "cnbkit-registry-"));
  await mkdir(join(work, "package"));
  await writeFile(
    join(work, "package", "package.json"),
    JSON.stringify({ name: PRIVATE_PACKAGE, version: "1.0.0", main: "index.js", license: "MIT" }),
  );
  await writeFile(
    join(work, "package", "index.js"),
    'exports.greet = (who) => "hello " + who + " from a private registry";\n',
  );
  const r = spawnSync("tar", ["czf", "pkg.tgz", "package"], { cwd: work, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  const tarball = readFileSync(join(work, "pkg.tgz"));
  await rm(work, { recursive: true, force: true });

  const requests: RegistryRequest[] = [];
  let base = "";
  const server = createServer((req, res) => {
    // Clients spell the scoped name's slash as %2f or %2F.
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const authorized = req.headers.authorization === `Bearer ${token}`;
    const answer = (status: number, body: Buffer | string, type: string) => {
      requests.push({ path, authorized, status });
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) }).end(body);
    };
    if (!authorized) return answer(401, '{"error":"authentication required"}', "application/json");
    if (path === `/${PRIVATE_PACKAGE}`) {
      const tgz = `${base}${TARBALL_PATH.slice(1)}`;
      const packument = {
        name: PRIVATE_PACKAGE,
        "dist-tags": { latest: "1.0.0" },
        // Yarn 4 quarantines versions whose publish time it cannot see (npmMinimalAgeGate).
        time: { created: PUBLISHED, modified: PUBLISHED, "1.0.0": PUBLISHED },
        versions: {
          "1.0.0": {
            name: PRIVATE_PACKAGE,
            version: "1.0.0",
            main: "index.js",
            license: "MIT",
            dist: {
              tarball: tgz,
              shasum: createHash("sha1").update(tarball).digest("hex"),
              integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
            },
          },
        },
      };
      return answer(200, JSON.stringify(packument), "application/json");
    }
    if (path === TARBALL_PATH) {
      return answer(200, tarball, "application/octet-stream");
    }
    return answer(404, '{"error":"not found"}', "application/json");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  base = `http://${host}/`;
  return {
    url: base,
    host,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
