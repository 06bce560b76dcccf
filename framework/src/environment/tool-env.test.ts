import { expect, test } from "vitest";
import { readSettings, withChanges } from "./tool-env.js";

test("changes apply in order, PATH grows at the front, the input is left alone", () => {
  const env = { PATH: "/usr/bin", NODE_ENV: "production" };
  const out = withChanges(env, { path: ["/node/bin"], set: { A: "1" } }, undefined, {
    path: ["/pm/bin"],
    set: { A: "2" },
  });
  expect(out).toEqual({ PATH: "/pm/bin:/node/bin:/usr/bin", NODE_ENV: "production", A: "2" });
  expect(env).toEqual({ PATH: "/usr/bin", NODE_ENV: "production" });
});

test("a missing PATH starts from the default one", () => {
  expect(withChanges({}, { path: ["/x"] }).PATH).toBe("/x:/usr/local/bin:/usr/bin:/bin");
});

test("settings: the platform's env wins over the process env", () => {
  const s = readSettings({ env: { BP_X: "1", HOME: "/h" }, platform: { env: { BP_X: "2" } } });
  expect(s).toEqual({ BP_X: "2", HOME: "/h" });
});
