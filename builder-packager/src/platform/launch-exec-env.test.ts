import { describe, expect, test } from "vitest";
import { EXEC_ENV_LABEL, launchExecEnv } from "./launch-exec-env.js";

describe("launchExecEnv", () => {
  test("an image built for test starts in test", () => {
    expect(launchExecEnv({ [EXEC_ENV_LABEL]: "test" }, ["PATH=/cnb/process:/usr/bin"], {})).toBe("test");
  });

  test("production, or no label (an image from Platform API 0.14 or older), adds nothing: the launcher's default", () => {
    expect(launchExecEnv({ [EXEC_ENV_LABEL]: "production" }, [], {})).toBeUndefined();
    expect(launchExecEnv({}, [], {})).toBeUndefined();
  });

  test("the caller's --env and the image's own Env win over the label", () => {
    expect(launchExecEnv({ [EXEC_ENV_LABEL]: "test" }, [], { CNB_EXEC_ENV: "production" })).toBeUndefined();
    expect(launchExecEnv({ [EXEC_ENV_LABEL]: "test" }, ["CNB_EXEC_ENV=staging"], {})).toBeUndefined();
  });

  test("a label that is no env name is one line naming the label", () => {
    expect(() => launchExecEnv({ [EXEC_ENV_LABEL]: "dev/local" }, [], {})).toThrow(
      /^the image's io\.buildpacks\.exec-env label "dev\/local" is not an execution environment name/,
    );
  });
});
