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
