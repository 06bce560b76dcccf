/** `cnbkit buildpack inspect`: a buildpack's or buildpackage's buildpacks, targets and detection order. */
import { type Command, lazyRun } from "../command.js";
import { INSPECT_OPTIONS } from "./inspect-format.js";

/** `cnbkit buildpack inspect <dir|.cnb|oci:dir[:tag]|ref> [--json]`. */
export const buildpackInspectCommand: Command = {
  name: "buildpack inspect",
  summary: "Show a buildpack's or buildpackage's buildpacks, targets and detection order",
  usage: "cnbkit buildpack inspect <dir|file.cnb|oci:dir[:tag]|ref> [--json] [--depth <n>] [--platform <os/arch>]",
  description: "What `pack buildpack inspect` shows. A directory is read from its buildpack.toml, without packaging.",
  positionals: { min: 1, max: 1, names: "<buildpack>" },
  options: INSPECT_OPTIONS,
  examples: [
    "cnbkit buildpack inspect buildpacks/nodejs",
    "cnbkit buildpack inspect out/nodejs.cnb --json",
    "cnbkit buildpack inspect oci:out/nodejs:0.1.0 --platform linux/arm64 --depth 1",
    "cnbkit buildpack inspect 192.168.1.5:5000/acme/nodejs:0.1.0 --insecure-registry",
  ],
  run: lazyRun(() => import("./buildpack-inspect-run.js")),
};
