import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as CDX from "@cyclonedx/cyclonedx-library";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, test } from "vitest";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { CnbError } from "../errors/index.js";
import {
  cycloneDxJson,
  SBOM_FORMATS,
  type SbomComponent,
  spdxExpression,
  spdxJson,
  spdxLicenseId,
  writeSbomFiles,
} from "./index.js";

const require = createRequire(import.meta.url);

const node: SbomComponent = {
  name: "node",
  version: "24.11.1",
  purl: "pkg:generic/node@24.11.1?arch=amd64",
  cpes: ["cpe:2.3:a:nodejs:node.js:24.11.1:*:*:*:*:*:*:*", "cpe:2.3:a:nodejs:nodejs:24.11.1:*:*:*:*:*:*:*"],
  licenses: ["MIT"],
  sha256: "a".repeat(64),
  supplier: "OpenJS Foundation",
  description: "Node.js runtime",
};
const yarn: SbomComponent = {
  name: "yarn",
  version: "1.22.22",
  purl: "pkg:npm/yarn@1.22.22",
  licenses: ["BSD-2-Clause", "MIT OR Apache-2.0"],
};
const weird: SbomComponent = {
  name: "acme-tool",
  version: "1.0",
  licenses: ["Acme Proprietary License"],
  type: "application",
};
const bare: SbomComponent = { name: "no-version" };

/** Validates with the CycloneDX library's own JsonStrictValidator (null when valid). */
async function cycloneDxErrors(json: string): Promise<unknown> {
  return await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(json);
}

/** Validates against the SPDX 2.3 JSON schema vendored from github.com/spdx/spdx-spec (support/2.3). */
function spdxErrors(json: string): unknown {
  const ajv = new Ajv({ strict: false });
  addFormats(ajv);
  const validate = ajv.compile(require("./sbom-schemas/spdx-2.3.schema.json"));
  return validate(JSON.parse(json)) ? null : validate.errors;
}

describe("license ids", () => {
  test("ids match case-insensitively and come back canonical", () => {
    expect(spdxLicenseId("mit")).toBe("MIT");
    expect(spdxLicenseId("apache-2.0")).toBe("Apache-2.0");
    expect(spdxLicenseId("GPL-2.0+")).toBe("GPL-2.0+");
    expect(spdxLicenseId("Acme")).toBeUndefined();
  });

  test.each([
    ["MIT OR Apache-2.0", "MIT OR Apache-2.0"],
    ["(mit AND bsd-3-clause) OR GPL-2.0-only", "(MIT AND BSD-3-Clause) OR GPL-2.0-only"],
    ["MIT", "MIT"],
    ["MIT OR", undefined],
    ["(MIT", undefined],
    ["MIT Apache-2.0", undefined],
    ["GPL-2.0-only WITH Classpath-exception-2.0", undefined],
    ["Apache License 2.0", undefined],
  ])("expression %j → %j", (input, expected) => {
    expect(spdxExpression(input)).toBe(expected);
  });
});

describe("CycloneDX", () => {
  test("is valid CycloneDX 1.6 with purl, cpe, hashes and licenses", async () => {
    const json = cycloneDxJson([node, yarn, weird, bare], { name: "node", version: "24.11.1" });
    expect(await cycloneDxErrors(json)).toBeNull();
    const doc = JSON.parse(json);
    expect(doc.specVersion).toBe("1.6");
    expect(doc.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(doc.metadata.timestamp).toBeUndefined();
    expect(doc.metadata.component).toMatchObject({ name: "node", version: "24.11.1", type: "application" });
    const byName = Object.fromEntries(doc.components.map((c: { name: string }) => [c.name, c]));
    expect(byName.node.purl).toBe(node.purl);
    expect(byName.node.cpe).toBe(node.cpes?.[0]);
    expect(byName.node.properties).toEqual([{ name: "syft:cpe23", value: node.cpes?.[1] }]);
    expect(byName.node.hashes).toEqual([{ alg: "SHA-256", content: "a".repeat(64) }]);
    expect(byName.node.licenses).toEqual([{ license: { id: "MIT" } }]);
    expect(byName.node.supplier).toEqual({ name: "OpenJS Foundation" });
    expect(byName.yarn.licenses).toEqual([{ expression: "BSD-2-Clause AND (MIT OR Apache-2.0)" }]);
    expect(byName["acme-tool"].licenses).toEqual([{ license: { name: "Acme Proprietary License" } }]);
    expect(byName["acme-tool"].type).toBe("application");
  });

  test("is deterministic: same components in any order give identical bytes", () => {
    const a = cycloneDxJson([node, yarn, weird, bare], { name: "x" });
    const b = cycloneDxJson([bare, weird, yarn, node, node], { name: "x" });
    expect(b).toBe(a);
    expect(cycloneDxJson([node], { name: "x" })).not.toBe(a);
  });

  test("adds a timestamp and custom serial only when asked", async () => {
    const json = cycloneDxJson([node], {
      timestamp: new Date("2025-01-02T03:04:05Z"),
      serialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    });
    const doc = JSON.parse(json);
    expect(doc.metadata.timestamp).toBe("2025-01-02T03:04:05.000Z");
    expect(doc.serialNumber).toBe("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
    expect(await cycloneDxErrors(json)).toBeNull();
  });

  test("keeps two components with the same purl but different content apart", async () => {
    const other = { ...node, sha256: "b".repeat(64) };
    const json = cycloneDxJson([node, other]);
    const refs = JSON.parse(json).components.map((c: { "bom-ref": string }) => c["bom-ref"]);
    expect(new Set(refs).size).toBe(2);
    expect(await cycloneDxErrors(json)).toBeNull();
  });

  test("the validator rejects a broken document (the check can fail)", async () => {
    const doc = JSON.parse(cycloneDxJson([node]));
    doc.serialNumber = "not-a-urn";
    doc.components[0].type = "gadget";
    expect(await cycloneDxErrors(JSON.stringify(doc))).not.toBeNull();
  });

  test("an empty component list is still a valid document", async () => {
    expect(await cycloneDxErrors(cycloneDxJson([]))).toBeNull();
  });
});

describe("SPDX", () => {
  test("is valid SPDX 2.3 with purl/cpe refs, checksums and DESCRIBES", () => {
    const json = spdxJson([node, yarn, weird, bare], { name: "node" });
    expect(spdxErrors(json)).toBeNull();
    const doc = JSON.parse(json);
    expect(doc.spdxVersion).toBe("SPDX-2.3");
    expect(doc.dataLicense).toBe("CC0-1.0");
    expect(doc.creationInfo.created).toBe("1980-01-01T00:00:01Z");
    expect(doc.documentNamespace).toMatch(/^https:\/\/spdx\.org\/spdxdocs\/node-[0-9a-f-]{36}$/);
    const byName = Object.fromEntries(doc.packages.map((p: { name: string }) => [p.name, p]));
    expect(byName.node.externalRefs).toEqual([
      { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: node.purl },
      { referenceCategory: "SECURITY", referenceType: "cpe23Type", referenceLocator: node.cpes?.[0] },
      { referenceCategory: "SECURITY", referenceType: "cpe23Type", referenceLocator: node.cpes?.[1] },
    ]);
    expect(byName.node.checksums).toEqual([{ algorithm: "SHA256", checksumValue: "a".repeat(64) }]);
    expect(byName.node.licenseDeclared).toBe("MIT");
    expect(byName.node.supplier).toBe("Organization: OpenJS Foundation");
    expect(byName.yarn.licenseDeclared).toBe("BSD-2-Clause AND (MIT OR Apache-2.0)");
    expect(byName["acme-tool"].licenseDeclared).toBe("LicenseRef-Acme-Proprietary-License");
    expect(byName["acme-tool"].primaryPackagePurpose).toBe("APPLICATION");
    expect(doc.hasExtractedLicensingInfos).toEqual([
      {
        licenseId: "LicenseRef-Acme-Proprietary-License",
        extractedText: "Acme Proprietary License",
        name: "Acme Proprietary License",
      },
    ]);
    expect(byName["no-version"].licenseDeclared).toBe("NOASSERTION");
    expect(byName["no-version"].versionInfo).toBeUndefined();
    const described = doc.relationships.map((r: { relatedSpdxElement: string }) => r.relatedSpdxElement).sort();
    expect(described).toEqual(doc.packages.map((p: { SPDXID: string }) => p.SPDXID).sort());
    expect(new Set(described).size).toBe(4);
  });

  test("is deterministic; namespace changes with content; created/namespace can be given", () => {
    const a = spdxJson([node, yarn], { name: "n" });
    expect(spdxJson([yarn, node], { name: "n" })).toBe(a);
    expect(JSON.parse(spdxJson([node], { name: "n" })).documentNamespace).not.toBe(JSON.parse(a).documentNamespace);
    const given = JSON.parse(
      spdxJson([node], { name: "n", namespace: "https://example.com/ns/1", created: "2025-01-01T00:00:00Z" }),
    );
    expect(given.documentNamespace).toBe("https://example.com/ns/1");
    expect(given.creationInfo.created).toBe("2025-01-01T00:00:00Z");
  });

  test("the vendored schema rejects a broken document (the check can fail)", () => {
    const doc = JSON.parse(spdxJson([node], { name: "n" }));
    delete doc.creationInfo;
    doc.packages[0].primaryPackagePurpose = "GADGET";
    expect(spdxErrors(JSON.stringify(doc))).not.toBeNull();
  });
});

describe("writeSbomFiles", () => {
  let dir: string;
  tempDirPerTest("sbom", (d) => {
    dir = d;
  });

  test("writes <base>.<ext> per format and nothing else", async () => {
    await writeSbomFiles(join(dir, "node.sbom"), Object.keys(SBOM_FORMATS), [node]);
    expect((await readdir(dir)).sort()).toEqual(["node.sbom.cdx.json", "node.sbom.spdx.json"]);
    const spdx = await readFile(join(dir, "node.sbom.spdx.json"), "utf8");
    expect(spdx).toBe(spdxJson([node], { name: "node" }));
    expect(await cycloneDxErrors(await readFile(join(dir, "node.sbom.cdx.json"), "utf8"))).toBeNull();
  });

  test("refuses an unknown format before writing anything", async () => {
    const err = await writeSbomFiles(
      join(dir, "launch.sbom"),
      ["application/spdx+json", "application/vnd.syft+json"],
      [node],
    ).catch((e) => e);
    expect(err).toBeInstanceOf(CnbError);
    expect(err.message).toBe(
      `${join(dir, "launch.sbom")}: unsupported SBOM format "application/vnd.syft+json" (supported: application/vnd.cyclonedx+json, application/spdx+json)`,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
