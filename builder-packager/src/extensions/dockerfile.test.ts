import { describe, expect, test } from "vitest";
import { parseExtensionDockerfile, runStepEnv } from "./dockerfile.js";
import { stepUser } from "./apply-build.js";

const W = "extension acme/apt: build.Dockerfile";

describe("parseExtensionDockerfile", () => {
  test("ARG, FROM base_image, USER and RUN (continuations joined, comments dropped) become steps", () => {
    const d = parseExtensionDockerfile(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG syntax
      "ARG base_image\nFROM ${base_image}\n# a comment\nARG build_id=0\nUSER root\nRUN apt-get update && \\\n  apt-get install -y jq\nUSER 1000:1000\n",
      W,
    );
    expect(d.from).toBeUndefined();
    expect(d.steps).toEqual([
      { kind: "arg", name: "base_image" },
      { kind: "arg", name: "build_id", value: "0" },
      { kind: "run", command: "apt-get update &&  apt-get install -y jq", user: "root" },
    ]);
    expect(d.user).toBe("1000:1000");
  });

  test("a run.Dockerfile that is only FROM <image> switches the run image", () => {
    expect(parseExtensionDockerfile("FROM example.com/acme/run:2\n", W)).toEqual({
      from: "example.com/acme/run:2",
      steps: [],
      user: "",
    });
  });

  test("an instruction cnbkit does not apply is one line: the file, the line, what it applies", () => {
    expect(() => parseExtensionDockerfile("ARG base_image\nFROM $base_image\nCOPY a /b\n", W)).toThrow(
      /^extension acme\/apt: build\.Dockerfile line 3: COPY is not applied by cnbkit \(it applies ARG, FROM, USER and RUN \(shell form\)\); do that step in a RUN$/,
    );
    expect(() => parseExtensionDockerfile('FROM $base_image\nRUN ["apt-get", "update"]\n', W)).toThrow(
      /line 2: RUN in exec form or with flags is not applied by cnbkit/,
    );
    expect(() => parseExtensionDockerfile("RUN true\n", W)).toThrow(/line 1: RUN before FROM/);
    expect(() => parseExtensionDockerfile("ARG base_image\n", W)).toThrow(/has no FROM/);
  });

  test("RUN sees the ARGs declared before it: the platform's value, else the Dockerfile's default", () => {
    const d = parseExtensionDockerfile("FROM $base_image\nARG build_id=0\nARG mine=x\nRUN env\nARG late\n", W);
    expect(runStepEnv(d, 2, { build_id: "abc", late: "no" })).toEqual({ build_id: "abc", mine: "x" });
  });
});

describe("stepUser", () => {
  const cnb = { uid: 1000, gid: 1001 };
  test("root, the CNB user when no USER was given, numbers, and the user_id and group_id args", () => {
    expect(stepUser("root", {}, cnb, W)).toEqual({ uid: 0, gid: 0 });
    expect(stepUser("", {}, cnb, W)).toEqual(cnb);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ARG syntax
    expect(stepUser("${user_id}:${group_id}", { user_id: "1000", group_id: "1001" }, cnb, W)).toEqual(cnb);
    expect(() => stepUser("cnb", {}, cnb, W)).toThrow(/USER "cnb" is not applied by cnbkit/);
  });
});
