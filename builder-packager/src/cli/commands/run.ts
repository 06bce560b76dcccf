/** `cnbkit run`: start an app image under runc until interrupted. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit run <image> [--port N] [--env K=V] [--process TYPE] [--memory SIZE] [--platform OS/ARCH] [--listen-timeout D]`. */
export const runCommand: Command = {
  name: "run",
  summary: "Run an app image under runc (host network, PORT set) until interrupted",
  usage:
    "cnbkit run <image> [--port N] [--env K=V] [--process TYPE] [--memory SIZE] [--platform OS/ARCH] [--listen-timeout D]",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit run oci:out/app:latest --port 8080",
    "cnbkit run oci:out/app --process worker --env LOG_LEVEL=debug",
    "cnbkit run oci:out/java-app --memory 512m",
    "cnbkit run oci:out/slow-app --listen-timeout 2m",
    "cnbkit run oci:out/multi-app --platform linux/arm64",
    "cnbkit run oci:out/untrusted-app --network isolated --port 3000",
  ],
  options: {
    port: { type: "string", short: "p", value: "<N>", help: "port the app listens on (sets PORT; default 8080)" },
    env: { type: "string", short: "e", multiple: true, value: "K=V", help: "environment for the app" },
    process: { type: "string", value: "<type>", help: "process type to run (default: the image's default)" },
    memory: {
      type: "string",
      short: "m",
      value: "<size>",
      help: "memory limit enforced by the container's cgroup, e.g. 512m or 1g (default: none)",
    },
    platform: {
      type: "string",
      value: "<os/arch>",
      help: "which image of an image index to run, e.g. linux/arm64 (default: this machine's; another arch runs under qemu)",
    },
    network: {
      type: "string",
      value: "host|isolated|none",
      help: "the app's network: this machine's (default), isolated (its port on 127.0.0.1, this machine's loopback and the metadata address out of reach), or none",
    },
    "listen-timeout": {
      type: "string",
      value: "<duration>",
      help: "warn when nothing listens on the port this long after the start: 30, 90s, 2m; 0 = never (default: 30s)",
    },
  },
  run: lazyRun(() => import("./run-run.js")),
};
