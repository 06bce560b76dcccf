import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { applyEnv, EnvDelta, readEnvDelta, writeEnvDelta } from "./env.js";

let dir: string;
tempDirPerTest("env", (d) => {
  dir = d;
});

describe("EnvDelta", () => {
  test("records operations per scope and replaces a repeated (scope, name, op)", () => {
    const env = new EnvDelta();
    env.override("A", "1").override("A", "2");
    env.build.prepend("PATH", "/x", ":");
    env.launch.default("NODE_ENV", "production");
    env.process("web").append("OPTS", "-v", " ");
    expect(env.entries).toEqual([
      { dir: "env", name: "A", op: "override", value: "2" },
      { dir: "env.build", name: "PATH", op: "prepend", value: "/x", delim: ":" },
      { dir: "env.launch", name: "NODE_ENV", op: "default", value: "production" },
      { dir: "env.launch/web", name: "OPTS", op: "append", value: "-v", delim: " " },
    ]);
  });

  test("rejects invalid variable names and process types", () => {
    expect(() => new EnvDelta().override("1BAD", "x")).toThrow(/not a valid environment variable name/);
    expect(() => new EnvDelta().process("we b")).toThrow(/may only contain/);
  });
});

describe("writeEnvDelta / readEnvDelta", () => {
  test("writes the spec's file names and reads them back", async () => {
    const env = new EnvDelta();
    env.override("JAVA_HOME", "/j");
    env.build.prepend("PATH", "/x", ":");
    env.launch.default("NODE_ENV", "production");
    env.process("web").override("PORT", "8080");
    await writeEnvDelta(dir, env);
    expect((await readdir(join(dir, "env"))).sort()).toEqual(["JAVA_HOME.override"]);
    expect((await readdir(join(dir, "env.build"))).sort()).toEqual(["PATH.delim", "PATH.prepend"]);
    expect(await readFile(join(dir, "env.build", "PATH.delim"), "utf8")).toBe(":");
    expect(await readFile(join(dir, "env.launch", "NODE_ENV.default"), "utf8")).toBe("production");
    expect(await readFile(join(dir, "env.launch", "web", "PORT.override"), "utf8")).toBe("8080");
    const back = readEnvDelta(dir);
    expect(back.entries).toEqual(
      expect.arrayContaining([
        { dir: "env", name: "JAVA_HOME", op: "override", value: "/j" },
        { dir: "env.build", name: "PATH", op: "prepend", value: "/x", delim: ":" },
        { dir: "env.launch", name: "NODE_ENV", op: "default", value: "production" },
        { dir: "env.launch/web", name: "PORT", op: "override", value: "8080" },
      ]),
    );
    expect(back.entries).toHaveLength(4);
  });

  test("a bare file name means override; unknown suffixes are ignored", async () => {
    await mkdir(join(dir, "env"), { recursive: true });
    await writeFile(join(dir, "env", "FOO"), "bar");
    await writeFile(join(dir, "env", "BAZ.weird"), "x");
    expect(readEnvDelta(dir).entries).toEqual([{ dir: "env", name: "FOO", op: "override", value: "bar" }]);
  });
});

describe("applyEnv", () => {
  test("build: bin/lib/include/pkgconfig of build layers are prepended; non-build layers ignored", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    for (const sub of ["bin", "lib", "include", "pkgconfig"]) await mkdir(join(a, sub), { recursive: true });
    await mkdir(join(b, "bin"), { recursive: true });
    const env = applyEnv(
      { PATH: "/usr/bin" },
      [
        { path: a, types: { build: true, launch: false } },
        { path: b, types: { build: false, launch: true } },
      ],
      "build",
    );
    expect(env.PATH).toBe(`${a}/bin:/usr/bin`);
    expect(env.LD_LIBRARY_PATH).toBe(`${a}/lib`);
    expect(env.LIBRARY_PATH).toBe(`${a}/lib`);
    expect(env.CPATH).toBe(`${a}/include`);
    expect(env.PKG_CONFIG_PATH).toBe(`${a}/pkgconfig`);
  });

  test("launch: only bin/ and lib/; env.build is not applied; env.launch/<type> only for that process", async () => {
    const a = join(dir, "a");
    await mkdir(join(a, "bin"), { recursive: true });
    await mkdir(join(a, "lib"), { recursive: true });
    await mkdir(join(a, "include"), { recursive: true });
    const delta = new EnvDelta();
    delta.build.override("ONLY_BUILD", "1");
    delta.launch.override("MODE", "launch");
    delta.process("web").override("MODE", "web");
    const layers = [{ path: a, types: { build: false, launch: true }, delta }];
    const web = applyEnv({}, layers, { launch: "web" });
    expect(web).toEqual({ PATH: `${a}/bin`, LD_LIBRARY_PATH: `${a}/lib`, MODE: "web" });
    expect(applyEnv({}, layers, { launch: "worker" }).MODE).toBe("launch");
    expect(applyEnv({}, layers, { launch: undefined }).MODE).toBe("launch");
  });

  test("default sets only an unset or empty variable; the earlier layer's default wins", () => {
    const a = new EnvDelta().default("X", "from-a").default("E", "from-a");
    const b = new EnvDelta().default("X", "from-b").default("SET", "from-b");
    const env = applyEnv(
      { SET: "base", E: "" },
      [
        { path: join(dir, "a"), types: { build: true, launch: true }, delta: a },
        { path: join(dir, "b"), types: { build: true, launch: true }, delta: b },
      ],
      "build",
    );
    expect(env).toEqual({ SET: "base", E: "from-a", X: "from-a" });
  });

  test("prepend/append join with the delim; no delim means plain concatenation", () => {
    const a = new EnvDelta();
    a.prepend("P", "a", ":").append("Q", "a", " ").prepend("R", "a");
    const b = new EnvDelta();
    b.prepend("P", "b", ":").append("Q", "b", " ");
    const env = applyEnv(
      { P: "base", Q: "base", R: "base" },
      [
        { path: join(dir, "a"), types: { build: true, launch: true }, delta: a },
        { path: join(dir, "b"), types: { build: true, launch: true }, delta: b },
      ],
      "build",
    );
    // Later layers' prepends precede earlier ones; appends follow them.
    expect(env.P).toBe("b:a:base");
    expect(env.Q).toBe("base a b");
    expect(env.R).toBe("abase");
  });

  test("override: later layer wins; process scope overrides env.launch which overrides env", () => {
    const a = new EnvDelta().override("X", "a");
    const b = new EnvDelta().override("X", "b");
    b.launch.override("Y", "launch");
    b.override("Y", "all");
    b.process("web").override("Y", "web");
    const env = applyEnv(
      {},
      [
        { path: join(dir, "b"), types: { build: true, launch: true }, delta: b },
        { path: join(dir, "a"), types: { build: true, launch: true }, delta: a },
      ],
      { launch: "web" },
    );
    // Layers of one buildpack apply alphabetically, so "b" overrides "a" whatever the input order.
    expect(env.X).toBe("b");
    expect(env.Y).toBe("web");
  });

  test("layers of different buildpacks keep group order", () => {
    const first = new EnvDelta().override("X", "first");
    const second = new EnvDelta().override("X", "second");
    const env = applyEnv(
      {},
      [
        { path: join(dir, "z"), types: { build: true, launch: false }, delta: first, buildpack: "bp1" },
        { path: join(dir, "a"), types: { build: true, launch: false }, delta: second, buildpack: "bp2" },
      ],
      "build",
    );
    expect(env.X).toBe("second");
  });

  test("memory and disk agree: the written files give the same environment", async () => {
    const delta = new EnvDelta();
    delta.prepend("PATH", "/opt/x", ":");
    delta.launch.default("NODE_ENV", "production");
    delta.process("web").append("NODE_OPTIONS", "--max-old-space-size=512", " ");
    const path = join(dir, "layer");
    await writeEnvDelta(path, delta);
    const base = { PATH: "/usr/bin", NODE_OPTIONS: "--enable-source-maps" };
    const types = { build: true, launch: true };
    const inMemory = applyEnv(base, [{ path, types, delta }], { launch: "web" });
    const fromDisk = applyEnv(base, [{ path, types }], { launch: "web" });
    expect(fromDisk).toEqual(inMemory);
    expect(inMemory.NODE_OPTIONS).toBe("--enable-source-maps --max-old-space-size=512");
    expect(inMemory.PATH).toBe("/opt/x:/usr/bin");
  });
});
