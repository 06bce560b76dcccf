/** Whether the CLI's output, and the lifecycle's inside it, may be coloured. */

/**
 * True on a terminal without NO_COLOR (https://no-color.org), as the framework's logger
 * decides for buildpacks; the lifecycle is told `-no-color` otherwise, since it colours even
 * into a pipe.
 *
 * @example
 * wantsColor(process.stdout, process.env) // false under `cnbkit build … | tee log`
 */
export function wantsColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined;
}
