import { parse } from "smol-toml";
import { expect, test } from "vitest";
import { pipfileHashes, pipfileLockSync } from "./pipfile-hash.js";

// Expected hashes are Pipenv's own: plette's Pipfile.get_hash() (before 2026.4) and
// Pipfile.calculate_hash() of Pipenv 2026.10.3, run on the same files.
const SPHINX = `[[source]]
name = "pypi"
url = "https://pypi.org/simple"
verify_ssl = true

[packages]
Sphinx = "*"
`;

test("a Pipfile hashes as Pipenv hashes it, names as written and lowercased", () => {
  expect(pipfileHashes(parse(SPHINX))).toEqual({
    legacy: "c99365b83495db0f676ba97f11db58b35955f8f5e7da5b56495dbf7044d303bf",
    current: "d993d725f2bfe31e06c4a1f3716caf2d4b1a9a5d8cb8d24a140b58eabe90a3e3",
  });
});

test("no source, inline tables, a custom category, scripts, numeric and non-ASCII names", () => {
  const pipfile = `[packages]
Flask = "==3.0.3"
Flask_Login = {version = "*", extras = ["Ä"]}
"10" = "*"
"9" = "*"

[dev-packages]
PyHamcrest = "==2.1.0"

[Docs]
Sphinx = ">=7"

[scripts]
start = "flask run"

[requires]
python_version = "3.11"
`;
  expect(pipfileHashes(parse(pipfile))).toEqual({
    legacy: "7aa5d47908ed4f5913f662164516f4674bc8548d838284f9cd04988a3bbdac0f",
    current: "c08484da67513c74a794353100affd0135a17ff10d130c3485c641abc7371938",
  });
});

test("a lock from either Pipenv is in sync; another hash or none is out of date", () => {
  const lock = (sha256: string) => ({ _meta: { hash: { sha256 } } });
  const pipfile = parse(SPHINX);
  expect(pipfileLockSync(pipfile, lock("d993d725f2bfe31e06c4a1f3716caf2d4b1a9a5d8cb8d24a140b58eabe90a3e3"))).toBe(
    "current",
  );
  expect(pipfileLockSync(pipfile, lock("c99365b83495db0f676ba97f11db58b35955f8f5e7da5b56495dbf7044d303bf"))).toBe(
    "legacy",
  );
  expect(pipfileLockSync(pipfile, lock("0".repeat(64)))).toBe("out-of-date");
  expect(pipfileLockSync(pipfile, {})).toBe("out-of-date");
});
