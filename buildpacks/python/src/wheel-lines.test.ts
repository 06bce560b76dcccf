import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import type { Logger } from "@cnbkit/framework";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LockedPackage } from "./lock-wheels.js";
import type { VersionRequest } from "./python-version.js";
import {
  chooseLine,
  describeLine,
  describeUnmet,
  type LockInputs,
  lineCandidates,
  lockedWheels,
} from "./wheel-lines.js";

const wheel = (name: string, version: string, tag: string) =>
  `${name}-${version}-${tag}-${tag}-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`;
const ORJSON: LockedPackage = {
  name: "orjson",
  version: "3.10.4",
  files: [wheel("orjson", "3.10.4", "cp311"), wheel("orjson", "3.10.4", "cp312"), "orjson-3.10.4.tar.gz"],
};
const HTTPTOOLS: LockedPackage = {
  name: "httptools",
  version: "0.6.1",
  files: [wheel("httptools", "0.6.1", "cp311"), wheel("httptools", "0.6.1", "cp312"), "httptools-0.6.1.tar.gz"],
};
const FLASK: LockedPackage = { name: "flask", version: "3.1.0", files: ["flask-3.1.0-py3-none-any.whl"] };
const SDIST_ONLY: LockedPackage = { name: "pyyaml-include", version: "1.0", files: ["pyyaml-include-1.0.tar.gz"] };

describe("chooseLine", () => {
  test("the newest line when every package has a wheel for it, or none at all", () => {
    expect(chooseLine(["3.13.5", "3.11.2"], [FLASK, SDIST_ONLY], "amd64")).toEqual({ version: "3.13.5", skipped: [] });
  });

  test("orjson 3.10.4 and httptools 0.6.1 (wheels up to cp312) move 3.13 down to 3.12", () => {
    const choice = chooseLine(["3.13.5", "3.12.9", "3.11.2"], [ORJSON, HTTPTOOLS, FLASK], "amd64");
    expect(choice).toEqual({
      version: "3.12.9",
      skipped: [{ line: "3.13", missing: ["orjson 3.10.4", "httptools 0.6.1"] }],
    });
    expect(describeLine("3.12.9", choice, "poetry.lock")).toBe(
      "Selected CPython 3.12.9: orjson 3.10.4 and httptools 0.6.1 publish no wheel for 3.13 (poetry.lock); pin a version to override",
    );
  });

  test("lines passed over each name what they lack; arm64 reads the aarch64 wheels", () => {
    const arm: LockedPackage = {
      name: "lib",
      version: "1",
      files: [wheel("lib", "1", "cp311").replaceAll("x86_64", "aarch64")],
    };
    // On arm64, orjson's x86_64-only wheels here say nothing.
    const choice = chooseLine(["3.14.0", "3.13.5", "3.12.9", "3.11.2"], [arm, ORJSON, HTTPTOOLS], "arm64");
    expect(choice.version).toBe("3.11.2");
    expect(describeLine("3.11.2", choice, "uv.lock")).toBe(
      "Selected CPython 3.11.2: lib 1 publishes no wheel for 3.14 or 3.13 or 3.12 (uv.lock); pin a version to override",
    );
    const both = chooseLine(
      ["3.13.5", "3.12.9", "3.11.2"],
      [ORJSON, { ...HTTPTOOLS, files: [wheel("httptools", "0.6.1", "cp311")] }],
      "amd64",
    );
    expect(describeLine("3.11.2", both, "uv.lock")).toBe(
      "Selected CPython 3.11.2: orjson 3.10.4 and httptools 0.6.1 publish no wheel for 3.13; httptools 0.6.1 publishes no wheel for 3.12 (uv.lock); pin a version to override",
    );
    // On amd64, lib's aarch64-only wheel says nothing, and orjson allows 3.12.
    expect(chooseLine(["3.13.5", "3.12.9", "3.11.2"], [arm, ORJSON], "amd64").version).toBe("3.12.9");
  });

  test("a package whose marker leaves it out of a line does not veto it", () => {
    const old = { ...ORJSON, marker: 'python_version < "3.13"' };
    expect(chooseLine(["3.13.5", "3.11.2"], [old], "amd64").version).toBe("3.13.5");
    const unreadable = { ...ORJSON, marker: "python_version <<< 3" };
    expect(chooseLine(["3.13.5", "3.11.2"], [unreadable], "amd64").version).toBe("3.11.2");
  });

  test("the newest line stays when no line has every wheel, with what it lacks", () => {
    const cp39: LockedPackage = { name: "old", version: "1", files: [wheel("old", "1", "cp39")] };
    expect(chooseLine(["3.13.5", "3.11.2"], [cp39, FLASK], "amd64")).toEqual({
      version: "3.13.5",
      skipped: [],
      unmet: ["old 1"],
    });
  });

  // astral-sh/uv-fastapi-example: requires-python ">=3.12" leaves one line of 3.13 and 3.11,
  // and its uv.lock has cp312 wheels only for httptools 0.6.1 and uvloop 0.20.0.
  test("one line to choose from that lacks wheels is named in a warning", () => {
    const uvloop: LockedPackage = { name: "uvloop", version: "0.20.0", files: [wheel("uvloop", "0.20.0", "cp312")] };
    const choice = chooseLine(["3.13.5"], [HTTPTOOLS, uvloop, FLASK], "amd64");
    expect(choice).toEqual({ version: "3.13.5", skipped: [], unmet: ["httptools 0.6.1", "uvloop 0.20.0"] });
    expect(describeUnmet(choice.version, choice.unmet!, "uv.lock")).toBe(
      "httptools 0.6.1 and uvloop 0.20.0 publish no wheel for CPython 3.13 (uv.lock), and no other line the project allows and this builder carries has a wheel for each: their sources will be built, which an old pin's often no longer does on a newer CPython",
    );
    expect(chooseLine(["3.13.5"], [FLASK], "amd64").unmet).toBeUndefined();
  });

  test("more than three packages are counted", () => {
    const choice = {
      version: "3.11.2",
      skipped: [{ line: "3.13", missing: ["a 1", "b 1", "c 1", "d 1", "e 1"] }],
    };
    expect(describeLine("3.11.2", choice, "Pipfile.lock")).toBe(
      "Selected CPython 3.11.2: a 1, b 1 and 3 more publish no wheel for 3.13 (Pipfile.lock); pin a version to override",
    );
  });
});

describe("lineCandidates", () => {
  const available = ["3.11.2", "3.12.8", "3.12.9", "3.13.5", "3.14.0"];
  const request = (source: string, specifier: string): VersionRequest => ({ source, raw: specifier, specifier });

  test("a range: the newest patch of each line it allows, newest first", () => {
    expect(lineCandidates(request("pyproject.toml requires-python", ">=3.11,<3.14"), available, "3.13.5")).toEqual([
      "3.13.5",
      "3.12.9",
      "3.11.2",
    ]);
    expect(
      lineCandidates(request("pyproject.toml [tool.poetry.dependencies].python", ">=3.12,<4"), available, "3.14.0"),
    ).toEqual(["3.14.0", "3.13.5", "3.12.9"]);
  });

  test("no version asked: the default line and the older ones, never a newer one", () => {
    expect(lineCandidates(request("default", "==3.13.*"), available, "3.13.5")).toEqual(["3.13.5", "3.12.9", "3.11.2"]);
  });

  test("a version the app names stands: nothing to choose among", () => {
    for (const source of ["BP_CPYTHON_VERSION", ".python-version", "runtime.txt"]) {
      expect(lineCandidates(request(source, ">=3.11"), available, "3.14.0")).toEqual([]);
    }
  });
});

describe("lockedWheels", () => {
  const dirs: string[] = [];
  const debug: string[] = [];
  const log = { debug: (t: string) => debug.push(t) } as unknown as Logger;
  let server: Server;
  let index = "";

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/simple/orjson/") {
        const files = ORJSON.files!.map((filename) => ({ filename, url: filename }));
        res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" }).end(JSON.stringify({ files }));
      } else {
        res.writeHead(503).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    index = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** The app's files in a temp dir, read as the build's AppFiles reads them. */
  async function app(files: Record<string, string>) {
    const dir = await mkdtemp(join(tmpdir(), "cnbkit-wheel-lines-"));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const readText = (rel: string) => readFile(join(dir, rel), "utf8");
    return {
      readText,
      readToml: async (rel: string) => parse(await readText(rel)),
      readJson: async (rel: string) => JSON.parse(await readText(rel)),
    } as unknown as LockInputs["app"];
  }

  test("uv.lock: read from the lock, no index asked", async () => {
    const lock = `version = 1\n\n[[package]]\nname = "orjson"\nversion = "3.10.4"\nwheels = [{ url = "https://files.example/${ORJSON.files![0]}" }]\n`;
    const noFetch = () => {
      throw new Error("no index should be asked");
    };
    const got = await lockedWheels({
      app: await app({ "uv.lock": lock }),
      lockfile: "uv.lock",
      settings: {},
      log,
      fetch: noFetch,
    });
    expect(got).toEqual({
      lockfile: "uv.lock",
      packages: [{ name: "orjson", version: "3.10.4", files: [ORJSON.files![0]] }],
    });
  });

  test("requirements.txt: its pins' wheels from PIP_INDEX_URL's index", async () => {
    const got = await lockedWheels({
      app: await app({ "requirements.txt": "orjson==3.10.4\nflask>=3\n" }),
      lockfile: "requirements.txt",
      settings: { PIP_INDEX_URL: index },
      log,
      fetch: () => fetch,
    });
    expect(got?.packages).toEqual([{ name: "orjson", version: "3.10.4", files: ORJSON.files!.slice(0, 2) }]);
  });

  test("an index that fails leaves the choice alone, with one debug line", async () => {
    debug.length = 0;
    const got = await lockedWheels({
      app: await app({ "Pipfile.lock": JSON.stringify({ default: { httptools: { version: "==0.6.1" } } }) }),
      lockfile: "Pipfile.lock",
      settings: { PIP_INDEX_URL: index },
      log,
      fetch: () => fetch,
    });
    expect(got).toBeUndefined();
    expect(debug).toEqual([
      `CPython line by the lock's wheels: not checked (Pipfile.lock: ${index}/httptools/ answered 503)`,
    ]);
  });
});
