/**
 * The small buildpacks every order ends with, through the bundled CLI and the real lifecycle:
 * a server-only Node.js app built with `--env BPE_*`, `--env BP_OCI_SOURCE` and
 * `--env BP_IMAGE_LABELS`. skopeo reads the labels off the image, and the running app says
 * over HTTP which environment the launcher gave it. Then a bad BP_IMAGE_LABELS: one line,
 * no image.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { cliSession, fixtureApp, getFromImage, runCli } from "./support.js";

const e2e = cliSession("ops-bps");

// Answers with the variables the buildpack set, as JSON.
const SERVER = `const http = require("node:http");
const pick = ["GREETING", "TZ", "JAVA_OPTS", "PATH"];
http
  .createServer((_q, r) => r.end(JSON.stringify(Object.fromEntries(pick.map((k) => [k, process.env[k] ?? null])))))
  .listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");
`;

let app = "";
afterAll(async () => {
  if (app) await rm(app, { recursive: true, force: true });
});

describe.sequential("environment-variables and image-labels in the reference builder", () => {
  test("BPE_* reach the running app; BP_OCI_SOURCE and BP_IMAGE_LABELS are labels skopeo reads", async () => {
    app = await fixtureApp("env-echo", { "server.js": SERVER });
    const image = `oci:${join(e2e.work, "app")}:latest`;
    const env = [
      "BPE_GREETING=hi",
      "BPE_DEFAULT_TZ=Europe/Paris",
      "BPE_APPEND_JAVA_OPTS=-Xss1m",
      "BPE_PREPEND_PATH=/opt/tools/bin",
      "BPE_DELIM_PATH=:",
      "BP_OCI_SOURCE=https://git.example.com/shop",
      "BP_IMAGE_LABELS=a=b c='d e'",
    ].flatMap((e) => ["--env", e]);
    const r = await runCli(e2e.cli, ["build", app, "--builder", e2e.builder, "--output", image, ...env, ...e2e.ca]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cnbkit Environment Variables 0\.1\.0/);
    expect(r.stdout).toMatch(/^\s+GREETING: override \(BPE_GREETING\)$/m);
    expect(r.stdout).toMatch(/^\s+c=d e$/m);

    const inspect = spawnSync("skopeo", ["inspect", "--config", image], { encoding: "utf8" });
    expect(inspect.status, inspect.stderr).toBe(0);
    const labels = (JSON.parse(inspect.stdout) as { config: { Labels: Record<string, string> } }).config.Labels;
    expect(labels).toMatchObject({
      "org.opencontainers.image.source": "https://git.example.com/shop",
      a: "b",
      c: "d e",
    });

    const answer = await getFromImage(image);
    expect(answer).toMatch(/^200 /);
    const seen = JSON.parse(answer.slice(4)) as Record<string, string | null>;
    expect(seen.GREETING).toBe("hi");
    expect(seen.TZ).toBe("Europe/Paris");
    expect(seen.JAVA_OPTS).toBe("-Xss1m");
    expect(seen.PATH).toMatch(/^\/opt\/tools\/bin:\/\S+/);
  }, 900_000);

  test("a bad BP_IMAGE_LABELS fails the build with one line and writes no image", async () => {
    const out = join(e2e.work, "bad");
    const r = await runCli(e2e.cli, [
      "build",
      app,
      "--builder",
      e2e.builder,
      "--output",
      `oci:${out}`,
      "--env",
      `BP_IMAGE_LABELS=a="b c`,
      ...e2e.ca,
    ]);
    const errLines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(r.code).toBe(1);
    expect(errLines[0]).toMatch(
      /^error: cnbkit\/image-labels failed to build: BP_IMAGE_LABELS: unclosed " quote at character 3/,
    );
    expect(errLines.length).toBeLessThanOrEqual(2);
    expect(r.stdout).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
    expect(existsSync(out)).toBe(false);
  }, 600_000);
});
