/**
 * The README stays true to the CLI: every `cnbkit` (or `npx cnbkit`) line of its sh blocks
 * names a registered command and parses against that command's real options, and its CLI
 * table names every registered command. docs.test.ts does the same for docs/; the README is a
 * user's first screen, so a renamed flag or a new command must not leave it behind. Its two
 * repository commands (`npm run main`, `npm run test:all`) are run by CI itself (.ci/run).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parseInvocation } from "../../builder-packager/src/cli/command.js";
import { commands } from "../../builder-packager/src/cli/commands/index.js";

const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");

/** The `cnbkit ...` lines of the README's sh blocks, `npx ` and trailing `# comments` dropped. */
function cnbkitLines(): string[] {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] ?? "").split("\n"))
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => /^(npx )?cnbkit /.test(l))
    .map((l) => l.replace(/^npx /, ""));
}

/** Whitespace-separated words, double quotes grouping, as the docs' shell lines use them. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

test("every cnbkit line of the README parses against the command's options", () => {
  const lines = cnbkitLines();
  expect(lines.some((l) => l.startsWith("cnbkit build "))).toBe(true);
  expect(lines.some((l) => l.startsWith("cnbkit run "))).toBe(true);
  for (const line of lines) {
    const args = words(line).slice(1);
    const cmd = commands.find((c) => c.name === `${args[0]} ${args[1]}`) ?? commands.find((c) => c.name === args[0]);
    expect(cmd, `README.md: "${line}" uses an unknown command`).toBeDefined();
    if (!cmd) continue;
    const rest = args.slice(cmd.name.split(" ").length);
    const sink: string[] = [];
    const io = { out: (l: string) => sink.push(l), err: (l: string) => sink.push(l) };
    expect(() => parseInvocation(cmd, rest, io), `README.md: ${line}`).not.toThrow();
  }
});

test("the README's CLI table names every registered command", () => {
  const table = readme.slice(readme.indexOf("## The CLI"), readme.indexOf("\n## ", readme.indexOf("## The CLI") + 1));
  for (const { name } of commands) {
    const [first, second] = name.split(" ");
    // `cnbkit fleet scan` / `query` / ... share a row: the group's first word and each verb.
    const named =
      table.includes(`\`cnbkit ${name}`) ||
      (second !== undefined && new RegExp(`cnbkit ${first} [^\\n]*\`${second}\``).test(table));
    expect(named, `README.md's CLI table does not name cnbkit ${name}`).toBe(true);
  }
});
