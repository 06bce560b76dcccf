/**
 * A child process for tests that must SIGKILL a build: bundled with esbuild and run with
 * node, it runs {@link buildApp} with the JSON options in argv[2] and prints its output.
 */
import { buildApp } from "./index.js";

const opts = JSON.parse(process.argv[2] ?? "{}");
buildApp({ ...opts, onOutput: (l: string) => process.stdout.write(`${l}\n`) }).then(
  (r) => process.stdout.write(`DONE ${r.digest}\n`),
  (e: Error) => {
    process.stdout.write(`FAILED ${e.message}\n`);
    process.exitCode = 1;
  },
);
