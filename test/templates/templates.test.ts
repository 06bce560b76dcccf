/**
 * The extension template, as a user gets it (template-case.ts): scaffolded, installed, tested,
 * typechecked and packaged, its .cnb read back with skopeo. The buildpack, composite and
 * builder templates are in the long suite (test/long/templates.test.ts): CI's
 * test/packages/install.test.ts scaffolds, installs, tests, typechecks and packages those three
 * from the published packages, as the getting-started guide does.
 */
import { beforeAll, test } from "vitest";
import { bundleCliForTemplates, checkTemplate } from "./template-case.js";

beforeAll(() => bundleCliForTemplates());

// An image extension: its package carries the same buildpackage metadata label (pack's finalizeExtensionImage).
test("template extension: installs, passes its tests, typechecks and packages", { timeout: 600_000 }, () =>
  checkTemplate({ template: "extension", id: "acme/apt", packaged: { "acme_apt.cnb": "acme/apt" }, tests: 3 }),
);
