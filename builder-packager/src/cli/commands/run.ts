/** `cnbkit run`: start an app image under runc until interrupted. */
import { CnbError } from "@cnbkit/framework";
import { runApp } from "../../platform/run.js";
import { type Command, listOption, stringOption } from "../command.js";
import { absoluteRef } from "../refs.js";
import { parseEnvPairs } from "./build.js";

/** `cnbkit run <image> [--port N] [--env K=V] [--process TYPE]`. */
export const runCommand: Command = {
  name: "run",
  summary: "Run an app image under runc (host network, PORT set) until interrupted",
  usage: "cnbkit run <image> [--port N] [--env K=V] [--process TYPE]",
  positionals: { min: 1, max: 1, names: "<image>" },
  options: {
    port: { type: "string", short: "p", value: "<N>", help: "port the app listens on (sets PORT; default 8080)" },
    env: { type: "string", short: "e", multiple: true, value: "K=V", help: "environment for the app" },
    process: { type: "string", value: "<type>", help: "process type to run (default: the image's default)" },
  },
  async run(inv) {
    const portText = stringOption(inv, "port") ?? "8080";
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new CnbError(`--port "${portText}" is not a port number`);
    const proc = stringOption(inv, "process");
    const app = await runApp({
      image: absoluteRef(inv.positionals[0]!),
      port,
      env: parseEnvPairs(listOption(inv, "env"), "--env"),
      ...(proc ? { process: proc } : {}),
      onOutput: (line) => inv.out(line),
    });
    let stopped = false;
    const stop = () => {
      stopped = true;
      void app.stop();
    };
    // \`on\`, not \`once\`: the handler must stay registered while the command runs, so the
    // container code (which kills its containers on a signal) sees that the CLI finishes
    // the work itself and does not re-raise the signal before views and temp dirs are released.
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    app
      .ready()
      .then(() => inv.err(`App listening on http://127.0.0.1:${port} (Ctrl-C to stop)`))
      .catch(() => undefined);
    const code = await app.exited;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    // Stopped on request is a success, whatever status the killed container had (137, 143).
    if (stopped) {
      inv.err("Stopped");
      return 0;
    }
    return code;
  },
};
