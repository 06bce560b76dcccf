/** What `cnbkit run` does, loaded only when it runs (run.ts declares its usage and options). */
import { CnbError } from "@cnbkit/framework";
import { parseBytes } from "@cnbkit/framework/log";
import { formatStallTimeout, parseStallTimeout } from "../../container/index.js";
import { parsePlatforms, runApp } from "../../platform/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";
import { imageRef } from "../refs.js";
import { parseEnvPairs, parseNetwork } from "./build-run.js";

/** Docker's floor for `--memory`: below it a container cannot even start its init. */
const MIN_MEMORY = 6 * 1024 * 1024;

/** `--memory` as bytes: a size such as 512m, at least 6 MiB; undefined when not given. */
export function parseMemoryLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bytes = parseBytes(text);
  if (bytes === undefined)
    throw new CnbError(`--memory "${text}" is not a size`, { hint: "give a number with a unit, such as 512m or 1g" });
  if (bytes < MIN_MEMORY)
    throw new CnbError(`--memory "${text}" is below the 6 MiB a container needs`, { hint: "give at least 6m" });
  return bytes;
}

/** Runs `cnbkit run`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const portText = stringOption(inv, "port") ?? "8080";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CnbError(`--port "${portText}" is not a port number`);
  const proc = stringOption(inv, "process");
  const platforms = parsePlatforms(listOption(inv, "platform"));
  if (platforms.length > 1) throw new CnbError("--platform: run one platform at a time; give one os/arch");
  const memoryBytes = parseMemoryLimit(stringOption(inv, "memory"));
  const networkText = stringOption(inv, "network");
  const listenText = stringOption(inv, "listen-timeout");
  const listenMs =
    listenText === undefined ? 30_000 : parseStallTimeout(listenText, "--listen-timeout", "turns the warning off");
  // A stop (Ctrl-C, SIGTERM) is taken from the start, also while the image is unpacked:
  // before, a signal then found no handler and killed the CLI (exit 130 or 143).
  // \`on\`, not \`once\`: the handler must stay registered while the command runs, so the
  // container code (which kills its containers on a signal) sees that the CLI finishes
  // the work itself and does not re-raise the signal before views and temp dirs are released.
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // A stopped run exits 0, whenever it was stopped and whatever status the killed container
  // had (137): `cnbkit run` serves until interrupted, so the interrupt is its normal end, as
  // a server under `docker run` that shuts down on Ctrl-C or `docker stop` ends with 0, and
  // scripts that stop it (scripts/main.sh) check for 0. Not 130/143: those say a command
  // was cut short, and a run has nothing left to finish.
  const stopped = () => {
    inv.err("Stopped");
    return 0;
  };
  try {
    const app = await runApp({
      image: imageRef(inv.positionals[0]!),
      port,
      env: parseEnvPairs(listOption(inv, "env"), "--env"),
      ...(proc ? { process: proc } : {}),
      ...(platforms[0] ? { platform: platforms[0] } : {}),
      ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      ...(networkText !== undefined ? { network: parseNetwork(networkText) } : {}),
      signal: controller.signal,
      onOutput: (line) => inv.out(line),
    }).catch((err: unknown) => {
      if (controller.signal.aborted) return undefined;
      throw err;
    });
    if (!app) return stopped();
    let ended = false;
    const listening = () => inv.err(`App listening on http://127.0.0.1:${port} (Ctrl-C to stop)`);
    app
      .ready(listenMs === 0 ? Number.POSITIVE_INFINITY : listenMs)
      .then(listening, () => {
        // Exited first: the exit line below says so. Still running with no listener: a server on
        // a fixed port (two outside apps bound 8080 whatever $PORT said), as Heroku's R10 reports.
        if (ended || controller.signal.aborted) return;
        inv.err(
          `warning: nothing listens on port ${port} ${formatStallTimeout(listenMs)} after the start: the app must listen on $PORT (${port}), which the image sets; a server bound to a fixed port or to another interface is not reached (it keeps running)`,
        );
        // A slow start is still reported when it comes.
        return app.ready(Number.POSITIVE_INFINITY).then(listening);
      })
      .catch(() => undefined);
    const code = await app.exited;
    ended = true;
    if (controller.signal.aborted) return stopped();
    // A server that ends by itself has failed, even after it listened (gunicorn's master
    // binds the port before its workers import the app, and exits 3 when they cannot).
    inv.err(
      code === 0
        ? "The app exited (status 0)"
        : `error: the app exited with status ${code} (its output above says why)`,
    );
    return code;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
