/**
 * Every command's `--help` shows examples that use each of its flags (and parse), and a
 * mistyped flag or command gets the nearest known one suggested.
 */
import { describe, expect, test } from "vitest";
import { helpText, parseInvocation } from "./command.js";
import { commands } from "./commands/index.js";
import { parseMemoryLimit } from "./commands/run-run.js";
import { editDistance, nearest } from "./nearest.js";
import { runCli } from "../../../test/support/cli.js";

/** Shell-like words: spaces split, single quotes group. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe("--help examples", () => {
  test.each(commands.map((c) => [c.name, c] as const))("%s: examples use every flag and parse", (name, cmd) => {
    expect(cmd.examples?.length, `${name} has no examples`).toBeGreaterThan(0);
    const used = new Set<string>();
    for (const example of cmd.examples ?? []) {
      const argv = words(example);
      expect(argv.slice(0, 1 + name.split(" ").length).join(" "), example).toBe(`cnbkit ${name}`);
      const inv = parseInvocation(cmd, argv.slice(1 + name.split(" ").length), { out: () => {}, err: () => {} });
      for (const [flag, v] of Object.entries(inv?.values ?? {})) if (v !== undefined) used.add(flag);
    }
    expect(Object.keys(cmd.options).filter((f) => !used.has(f))).toEqual([]);
    expect(helpText(cmd)).toContain(`Examples:\n  ${cmd.examples?.[0]}`);
  });
});

describe("suggestions", () => {
  test("edit distance counts insertions, deletions and substitutions", () => {
    expect(editDistance("clear-cach", "clear-cache")).toBe(1);
    expect(editDistance("jsno", "json")).toBe(2);
    expect(editDistance("", "abc")).toBe(3);
    expect(nearest("zzzz", ["json", "depth"])).toBeUndefined();
    expect(nearest("plat", ["platform", "port"])).toBe("platform");
  });

  test("an unknown flag names the nearest one, on one line, exit non-zero", async () => {
    const r = await runCli(["builder", "inspect", "oci:x", "--jsn"]);
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toBe("error: cnbkit builder inspect: unknown flag --jsn (did you mean --json?)");
    const cache = await runCli(["build", "app", "--cache-dri", "x"]);
    expect(cache.err.split("\n")[0]).toBe("error: cnbkit build: unknown flag --cache-dri (did you mean --cache-dir?)");
    const far = await runCli(["run", "img", "--zebra"]);
    expect(far.err.split("\n")[0]).toBe("error: cnbkit run: unknown flag --zebra");
    expect(far.err).toContain("See 'cnbkit run --help'.");
  });

  test("a bad --memory is one line naming the value and the fix, before any image is read", async () => {
    const word = await runCli(["run", "oci:/nonexistent/app", "--memory", "lots"]);
    expect(word.code).toBe(1);
    expect(word.err.split("\n")[0]).toBe('error: --memory "lots" is not a size');
    expect(word.err).toContain("such as 512m or 1g");
    const tiny = await runCli(["run", "oci:/nonexistent/app", "--memory", "1m"]);
    expect(tiny.err.split("\n")[0]).toBe('error: --memory "1m" is below the 6 MiB a container needs');
    expect(parseMemoryLimit("512m")).toBe(512 * 2 ** 20);
    expect(parseMemoryLimit(undefined)).toBeUndefined();
  });

  test("an unknown command names the nearest one", async () => {
    const one = await runCli(["biuld", "app"]);
    expect(one.code).toBe(2);
    expect(one.err).toBe(`error: unknown command "biuld" (did you mean 'build'?); run 'cnbkit --help' for the list`);
    const two = await runCli(["builder", "inspct", "oci:x"]);
    expect(two.err).toMatch(/did you mean 'builder inspect'\?/);
    expect((await runCli(["frobnicate"])).err).not.toMatch(/did you mean/);
  });
});

describe("command groups", () => {
  test.each(["base", "builder", "buildpack"])(
    "cnbkit %s --help lists its subcommands with their summaries",
    async (group) => {
      const members = commands.filter((c) => c.name.startsWith(`${group} `));
      expect(members.length).toBeGreaterThan(0);
      const r = await runCli([group, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: cnbkit ${group} <command> [options]`);
      for (const c of members)
        expect(r.out).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
      const bare = await runCli([group]);
      expect(bare.out).toBe(r.out);
      expect(bare.code).toBe(2);
    },
  );

  test("an unknown subcommand of a group names the group's help", async () => {
    const r = await runCli(["builder", "craete", "builder.toml"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `error: unknown command "builder craete" (did you mean 'builder create'?); run 'cnbkit builder --help' for the list`,
    );
  });
});
