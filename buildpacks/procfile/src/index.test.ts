import { fileURLToPath } from "node:url";
import { runBuild, runDetect } from "@cnbkit/framework/testing";
import { describe, expect, test } from "vitest";
import bp from "./index.js";

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

describe("procfile buildpack", () => {
  test("detect passes with the Procfile's processes in the plan when there is one, fails otherwise", async () => {
    const pass = await runDetect(bp, { buildpackDir, app: { Procfile: "web: node server.js\n" } });
    expect(pass.passed).toBe(true);
    expect(pass.plans).toEqual([
      {
        provides: [{ name: "procfile" }],
        requires: [{ name: "procfile", metadata: { processes: [{ type: "web", command: "node server.js" }] } }],
      },
    ]);
    const fail = await runDetect(bp, { buildpackDir, app: { "server.js": "" } });
    expect(fail.result).toEqual({ kind: "fail", reason: "no Procfile" });
  });
  test("build writes one bash -c process per line, web by default", async () => {
    const r = await runBuild(bp, {
      buildpackDir,
      app: { Procfile: "web: node server.js --port $PORT\nworker: node jobs.js\n" },
    });
    expect(r.processes).toEqual([
      { type: "web", command: ["bash", "-c", "node server.js --port $PORT"], default: true },
      { type: "worker", command: ["bash", "-c", "node jobs.js"], default: false },
    ]);
  });
  test("build takes the processes detect read, though an earlier buildpack removed the Procfile", async () => {
    const detected = await runDetect(bp, { buildpackDir, app: { Procfile: "web: java -jar target/app.jar\n" } });
    const plan = detected.plans[0]?.requires.map((r) => ({ name: r.name, metadata: r.metadata ?? {} })) ?? [];
    const r = await runBuild(bp, { buildpackDir, app: { "Main.class": "" }, plan });
    expect(r.stdout.join("\n")).toContain("Processes read from the Procfile at detect");
    expect(r.processes).toEqual([{ type: "web", command: ["bash", "-c", "java -jar target/app.jar"], default: true }]);
  });
  test("with neither a plan entry nor a Procfile, build says which buildpack's doing it may be", async () => {
    await expect(runBuild(bp, { buildpackDir, app: {}, plan: [] })).rejects.toThrow(
      /^Procfile: not found in the app directory, and the build plan carries no processes$/,
    );
  });
  test("a Rails app's default process whose program nothing provides fails the build in one line (heroku/ruby-getting-started)", async () => {
    const app = {
      Procfile: "web: bundle exec puma -C config/puma.rb\n",
      Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 8.0"\ngem "puma"\n',
      "config.ru": "require_relative 'config/environment'\nrun Rails.application\n",
      "bin/bundle": "#!/usr/bin/env ruby\nload Gem.bin_path('bundler', 'bundle')\n",
    };
    const err = await runBuild(bp, { buildpackDir, app, env: { PATH: "/nonexistent" } }).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      "Procfile:1: the web process runs \"bundle exec puma -C config/puma.rb\", but nothing in this build provides bundle (not on the build's PATH, in a buildpack's layer or in the app)",
    );
    expect((err as { hint?: string }).hint).toMatch(/^bundle is a Ruby command; .*, not Ruby: /);
  });
  test("a Phoenix app's mix fails; a worker's missing program is a warning; BP_PROCFILE_CHECK=false warns", async () => {
    const app = { Procfile: "web: MIX_ENV=prod mix phx.server", "mix.exs": "defmodule RealWorld.Mixfile do\nend\n" };
    await expect(runBuild(bp, { buildpackDir, app, env: { PATH: "/nonexistent" } })).rejects.toThrow(
      /nothing in this build provides mix /,
    );
    const warned = await runBuild(bp, {
      buildpackDir,
      app,
      env: { PATH: "/nonexistent", BP_PROCFILE_CHECK: "false" },
    });
    expect(warned.stdout.join("\n")).toMatch(/Procfile:1: the web process runs .* provides mix /);
    const worker = await runBuild(bp, {
      buildpackDir,
      app: { Procfile: "web: node server.js\nworker: bundle exec sidekiq\n" },
    });
    expect(worker.stdout.join("\n")).toMatch(/Procfile:2: the worker process .* provides bundle /);
    expect(worker.processes.map((p) => p.type)).toEqual(["web", "worker"]);
  });
  test("a bad line passes detect with an empty plan and fails the build naming Procfile:line", async () => {
    const detected = await runDetect(bp, { buildpackDir, app: { Procfile: "web: a\n\nnope\n" } });
    expect(detected.plans).toEqual([{ provides: [], requires: [] }]);
    await expect(runBuild(bp, { buildpackDir, app: { Procfile: "web: a\n\nnope\n" } })).rejects.toThrow(
      /^Procfile:3: expected "<type>: <command>"/,
    );
  });
});
