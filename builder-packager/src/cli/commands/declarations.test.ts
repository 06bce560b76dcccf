/**
 * A command's declaration may not import the stage that runs it (that would load the stage at
 * every `cnbkit` start: see lazyRun in command.ts), so the few stage values its help names are
 * written out. These tests hold them to the stages' own values.
 */
import { expect, test } from "vitest";
import { DEBIAN_RELEASES, DEFAULT_DEBIAN_RELEASE } from "../../base/index.js";
import { DEFAULT_CA_BUNDLE, DEFAULT_LIFECYCLE_TARGETS } from "../../lifecycle-image/index.js";
import { TEMPLATES } from "../../scaffold/index.js";
import { baseCreateCommand } from "./base-create.js";
import { lifecycleImageCommand } from "./lifecycle-image.js";
import { newCommand } from "./new.js";

test("base create --help names every Debian release and the default one", () => {
  const releases = DEBIAN_RELEASES.map((r) => `${r.version} (${r.codename})`).join(" or ");
  expect(baseCreateCommand.options.debian?.help).toBe(
    `the Debian release: ${releases}; default ${DEFAULT_DEBIAN_RELEASE.version}`,
  );
  expect(baseCreateCommand.usage).toContain(`[--debian ${DEBIAN_RELEASES.map((r) => r.version).join("|")}]`);
});

test("lifecycle image --help names the default targets and CA bundle", () => {
  expect(lifecycleImageCommand.options.target?.help).toContain(`(default: ${DEFAULT_LIFECYCLE_TARGETS.join(" and ")})`);
  expect(lifecycleImageCommand.options["ca-bundle"]?.help).toContain(`(default: ${DEFAULT_CA_BUNDLE})`);
  expect(lifecycleImageCommand.description).toContain(`this machine's (${DEFAULT_CA_BUNDLE})`);
});

test("new --help names every template", () => {
  expect(newCommand.options.template?.help).toBe(`${TEMPLATES.join(", ")} (default buildpack)`);
  expect(newCommand.usage).toContain(`[--template ${TEMPLATES.join("|")}]`);
});
