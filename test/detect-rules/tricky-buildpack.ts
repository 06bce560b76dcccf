/**
 * A buildpack whose detect rules use every condition and the names sh quoting gets wrong
 * (quotes, spaces, `$`, a leading `-`), for the sh-versus-TypeScript equivalence test.
 */
import { buildpack, detectRules } from "@cnbkit/framework";

/** The rules: each outcome kind, each condition, awkward paths, reasons and metadata. */
export const detect = detectRules({
  rules: [
    {
      when: { allFiles: ["it's here.txt", "with space/$HOME.json"] },
      outcome: {
        pass: {
          provides: [{ name: "tricky" }],
          requires: [{ name: "tricky", metadata: { quote: 'it\'s "q" $HOME `x` \\ ü', n: 1 } }],
        },
        or: [{ provides: [{ name: "alt" }] }],
      },
    },
    { when: { env: "TRICKY_MODE", equals: "code" }, outcome: "code" },
    { when: { file: "-n" }, outcome: { fail: "a file named -n: it's $HOME `here`" } },
    { when: { env: "TRICKY_ON" }, outcome: { pass: {} } },
    { when: { suffix: " it's $x.tmp" }, outcome: { fail: "a tmp file" } },
    { when: { not: { anyFile: ["Procfile", 'a"b', "package.json"] } }, outcome: { fail: 'neither Procfile nor a"b' } },
  ],
  otherwise: "code",
  code: (ctx) => ctx.pass({ provides: [{ name: "from-code" }] }),
});

export default buildpack({ detect, build: () => undefined });
