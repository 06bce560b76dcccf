/**
 * A TCP port for a test to start a server on (the built app's process, a registry, a proxy).
 */
import { createServer } from "node:net";

/**
 * A port free on 127.0.0.1 right now: the kernel picks it, so parallel test files don't
 * collide on a fixed one. Another process could take it before the caller listens; tests
 * that start many servers at once should listen on port 0 themselves instead.
 *
 * @example
 * const port = await freePort();
 * spawn(process, { env: { PORT: String(port) } });
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
