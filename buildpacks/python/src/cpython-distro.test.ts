import { describe, expect, test } from "vitest";
import { type CpythonEntry, distroDefault, distroMismatch } from "./cpython-distro.js";
import type { VersionRequest } from "./python-version.js";

const D13 = [{ name: "debian", version: "13" }];
const LOCAL: CpythonEntry[] = [
  { version: "3.11.2", distros: [{ name: "debian", version: "12" }, ...D13] },
  { version: "3.13.5", distros: D13 },
  { version: "3.14.10", distros: D13 },
  { version: "3.15.2", distros: D13 },
];
const bookworm = { name: "debian", version: "12" };
const trixie = { name: "debian", version: "13" };
const ask = (raw: string, specifier: string, source = ".python-version"): VersionRequest => ({
  source,
  raw,
  specifier,
});

describe("a CPython the builder has only for another run image", () => {
  test.each<
    [string, VersionRequest, { name: string; version: string } | undefined, string | undefined, CpythonEntry[]?]
  >([
    [
      "3.14 on Debian 12 is one line naming Debian 13 and the line that runs here",
      ask("3.14", "==3.14.*"),
      bookworm,
      '.python-version "3.14" asks for CPython 3.14.10, which this builder has only for Debian 13 run images (it needs their newer glibc); this run image is Debian 12 | Build with a Debian 13 base (the run image\'s distro), or ask for 3.11, which runs on Debian 12.',
    ],
    ["3.14 on Debian 13 is fine", ask("3.14", "==3.14.*"), trixie, undefined],
    [
      "a 3.14 whose measured glibc need no run image meets (distros = []) is one line, never installed",
      ask("3.14", "==3.14.*"),
      trixie,
      ".python-version \"3.14\" asks for CPython 3.14.10, whose binaries need a newer glibc than Debian 13's (or any run image's this builder knows): it would fail at start or import | Use a builder whose CPython 3.14.10 is built for Debian 13, or ask for 3.13 or 3.11, which run on Debian 13.",
      [
        { version: "3.13.5", distros: D13 },
        { version: "3.11.2", distros: D13 },
        { version: "3.14.10", distros: [] },
      ],
    ],
    [
      "a range that 3.11 meets on Debian 12 is fine",
      ask(">=3.10", ">=3.10", "pyproject.toml requires-python"),
      bookworm,
      undefined,
    ],
    ["a line nobody has is chooseVersion's to say", ask("3.12", "==3.12.*"), bookworm, undefined],
    ["no distro label: nothing to say", ask("3.14", "==3.14.*"), undefined, undefined],
    ["the default moves instead of failing", ask("3.13.x", "==3.13.*", "default"), bookworm, undefined],
  ])("%s", (_name, request, distro, expected, entries = LOCAL) => {
    const err = distroMismatch(request, entries, distro);
    expect(err && `${err.message} | ${err.hint}`).toBe(expected);
  });

  test("an entry with no distros runs anywhere (python-build-standalone's)", () => {
    expect(distroMismatch(ask("3.14", "==3.14.*"), [{ version: "3.14.7" }], bookworm)).toBeUndefined();
  });

  test("the default 3.13 on Debian 12 moves to 3.11 and says so; on Debian 13 it stays", () => {
    expect(distroDefault(ask("3.13.x", "==3.13.*", "default"), LOCAL, bookworm)).toEqual({
      request: { source: "default", raw: "3.11.x", specifier: "==3.11.*" },
      note: "The default CPython 3.13.x runs only on Debian 13 run images; this one is Debian 12: using 3.11.x",
    });
    expect(distroDefault(ask("3.13.x", "==3.13.*", "default"), LOCAL, trixie)).toBeUndefined();
    expect(distroDefault(ask("3.14", "==3.14.*"), LOCAL, bookworm)).toBeUndefined();
  });
});
