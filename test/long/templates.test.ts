/**
 * The buildpack, composite and builder templates from the workspace (template-case.ts), in the
 * long suite: CI's test/packages/install.test.ts does the same for these three from the
 * published packages; the extension template is CI's test/templates/templates.test.ts.
 */
import { beforeAll, describe, test } from "vitest";
import { bundleCliForTemplates, checkTemplate, type TemplateCase } from "../templates/template-case.js";

beforeAll(() => bundleCliForTemplates());

const cases: TemplateCase[] = [
  { template: "buildpack", id: "acme/hello", packaged: { "acme_hello.cnb": "acme/hello" }, tests: 3 },
  { template: "composite", id: "acme/stack", packaged: { "acme_stack.cnb": "acme/stack" }, tests: 3 },
  {
    template: "builder",
    id: "acme/builder",
    packaged: { "out/ca-certificates.cnb": "acme/ca-certificates", "out/org-defaults.cnb": "acme/org-defaults" },
    tests: 18,
  },
];

describe.each(cases)("template $template", (c) => {
  test("installs, passes its tests, typechecks and packages", { timeout: 600_000 }, () => checkTemplate(c));
});
