/** Types of fleet-floor.mjs (plain JavaScript, so it also runs as a process of its own). */

/** One image as the floor asks for it: `host/repo`, its tags (the first is used, else `digest`), its config's digest. */
export interface FloorImage {
  repository: string;
  tags: string[];
  digest?: string;
  config: string;
}

/** GETs each image's manifest and config, `concurrency` at once (16); resolves with the seconds it took. */
export function twoGetsEach(port: number, records: FloorImage[], concurrency?: number): Promise<number>;

/** One GET from the registry at 127.0.0.1:`port`; the body as text when `text`, else "" (the body is not read). */
export function registryGet(
  port: number,
  agent: import("node:http").Agent,
  path: string,
  options?: { accept?: string; text?: boolean },
): Promise<string>;

/** What an image manifest GET accepts, as a scan asks. */
export const MANIFEST_ACCEPT: string;
