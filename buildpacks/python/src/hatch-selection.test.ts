import { expect, test } from "vitest";
import { hatchFindsNothing } from "./hatch-selection.js";

const hatch = (name: string, tool?: unknown) => ({
  project: { name },
  "build-system": { requires: ["hatchling"], "build-backend": "hatchling.build" },
  ...(tool ? { tool } : {}),
});
const only =
  (...paths: string[]) =>
  async (p: string) =>
    paths.includes(p);

// litestar-org/litestar-hello-world: app.py at the root, [build-system] hatchling, name litestar-hello-world.
test("a flat app.py under hatchling: nothing to ship, named as hatchling looks for it", async () => {
  expect(await hatchFindsNothing(hatch("litestar-hello-world"), only("app.py"))).toBe("litestar_hello_world");
});

test.each([
  ["the package", "litestar_hello_world/__init__.py"],
  ["the package under src/", "src/litestar_hello_world/__init__.py"],
  ["the module", "litestar_hello_world.py"],
])("%s is there: hatchling ships it", async (_what, path) => {
  expect(await hatchFindsNothing(hatch("litestar-hello-world"), only(path))).toBeUndefined();
});

test("a wheel selection in [tool.hatch.build.targets.wheel] or [tool.hatch.build] ships what it names", async () => {
  const none = only();
  expect(
    await hatchFindsNothing(hatch("x", { hatch: { build: { targets: { wheel: { packages: ["app"] } } } } }), none),
  ).toBeUndefined();
  expect(await hatchFindsNothing(hatch("x", { hatch: { build: { include: ["app.py"] } } }), none)).toBeUndefined();
});

test("another backend, or no name, is not hatchling's question", async () => {
  const setuptools = { project: { name: "x" }, "build-system": { "build-backend": "setuptools.build_meta" } };
  expect(await hatchFindsNothing(setuptools, only())).toBeUndefined();
  expect(await hatchFindsNothing({ "build-system": { "build-backend": "hatchling.build" } }, only())).toBeUndefined();
});
