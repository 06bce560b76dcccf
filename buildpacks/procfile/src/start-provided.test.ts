import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { missingProgramHint, programOf, programProvided } from "./start-provided.js";

describe("programOf", () => {
  test("the program the Procfile lines of real apps start", () => {
    expect(programOf("bundle exec puma -C config/puma.rb")).toBe("bundle"); // heroku/ruby-getting-started
    expect(programOf("MIX_ENV=prod mix phx.server")).toBe("mix"); // gothinkster's Phoenix app
    expect(programOf("jemalloc.sh bin/puma -C config/puma.rb")).toBe("jemalloc.sh"); // codetriage
    expect(programOf("gunicorn --config gunicorn.conf.py gettingstarted.wsgi")).toBe("gunicorn");
    expect(programOf("java -jar target/java-getting-started-1.0.0-SNAPSHOT.jar")).toBe("java");
    expect(programOf("exec env -i PORT=1 node server.js")).toBe("node");
    expect(programOf("vendor/bin/heroku-php-apache2 public/")).toBe("vendor/bin/heroku-php-apache2");
  });
  test("nothing to tell when the first word is not the program", () => {
    expect(programOf("cd web && npm start")).toBeUndefined();
    expect(programOf("$HOME/bin/app")).toBeUndefined();
    expect(programOf("(node a.js)")).toBeUndefined();
  });
});

describe("programProvided", () => {
  let root: string;
  const places = () => ({ path: join(root, "usr-bin"), layersRoot: join(root, "layers"), app: join(root, "app") });
  async function tool(path: string): Promise<void> {
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, "#!/bin/sh\n");
    await chmod(path, 0o755);
  }
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "cnbkit-procfile-"));
    await tool(join(root, "usr-bin", "java"));
    await tool(join(root, "layers", "cnbkit_python", "venv", "bin", "gunicorn")); // a launch-only layer
    await tool(join(root, "layers", "cnbkit_nodejs", "launch_modules", "node_modules", ".bin", "next"));
    await tool(join(root, "layers", "cnbkit_go", "app", "bin", "go-getting-started"));
    await tool(join(root, "app", "bin", "go-getting-started"));
    // A Rails app's binstubs: in the app, but bundle is not on the PATH and ruby is nowhere.
    await tool(join(root, "app", "bin", "bundle"));
    await writeFile(
      join(root, "app", "bin", "rails"),
      "#!/usr/bin/env ruby\nAPP_PATH = File.expand_path('../config/application', __dir__)\n",
    );
    await writeFile(join(root, "app", "run.sh"), "#!/usr/bin/env java -jar\n");
    await writeFile(join(root, "layers", "cnbkit_python", "venv", "bin", "notes"), "not a program");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  test("found on the PATH, in any buildpack's layer, or in the app", async () => {
    for (const p of ["java", "gunicorn", "next", "go-getting-started", "bin/go-getting-started", "./run.sh"]) {
      expect(await programProvided(p, places()), p).toBe("found");
    }
  });
  test("Ruby's, Elixir's and a non-executable file are provided by nothing", async () => {
    for (const p of ["bundle", "mix", "notes", "vendor/bin/heroku-php-apache2", "bin/rails"]) {
      expect(await programProvided(p, places()), p).toBe("missing");
    }
  });
  test("a warm build whose layer is reused from the previous image (its toml, no files) is unsure, not missing", async () => {
    // heroku/go-getting-started rebuilt: cnbkit/go's binaries layer stays in the previous image.
    await writeFile(join(root, "layers", "cnbkit_go.toml"), "");
    await mkdir(join(root, "layers", "cnbkit_go"), { recursive: true });
    await writeFile(join(root, "layers", "cnbkit_go", "binaries.toml"), "[types]\nlaunch = true\n");
    expect(await programProvided("go-getting-started-reused", places())).toBe("unsure");
    expect(await programProvided("bin/go-getting-started-reused", places())).toBe("unsure");
    await mkdir(join(root, "layers", "cnbkit_go", "binaries"));
    expect(await programProvided("go-getting-started-reused", places())).toBe("unsure");
    await rm(join(root, "layers", "cnbkit_go"), { recursive: true });
    await rm(join(root, "layers", "cnbkit_go.toml"));
  });
  test("the hint names the language and what cnbkit serves", () => {
    expect(missingProgramHint("bundle")).toMatch(
      /^bundle is a Ruby command; cnbkit's buildpacks serve Node\.js, Python, Java, Go and static sites, not Ruby: /,
    );
    expect(missingProgramHint("mix")).toMatch(/^mix is an Elixir command; /);
    expect(missingProgramHint("jemalloc.sh")).toMatch(
      /^cnbkit's buildpacks serve Node\.js, Python, Java, Go and static sites: /,
    );
  });
});
