/**
 * SBOM files for layers and for launch/build, one per `sbom-formats` media type: CycloneDX 1.6
 * JSON (cyclonedx.ts, through the CycloneDX project's own library) and SPDX 2.3 JSON (spdx.ts),
 * built from {@link SbomComponent}s (component.ts), licenses checked by spdx-license.ts.
 *
 * Output is deterministic: the same components (in any order) give the same bytes. There is
 * no random serial number, document namespace or timestamp unless the caller passes one;
 * the defaults are derived from a sha256 of the content, and SPDX's required `created` is
 * fixed at 1980-01-01T00:00:01Z (the epoch reproducible image layers use).
 *
 * License strings are checked against the SPDX license list (spdx-license-ids, current and
 * deprecated ids). A valid id or a simple expression of valid ids joined by AND/OR (with
 * parentheses) is kept as SPDX; anything else becomes a CycloneDX license name and an SPDX
 * `LicenseRef-`; no license at all is NOASSERTION.
 */
import { basename } from "node:path";
import { CnbError } from "../errors/index.js";
import { writeAtomic } from "../fs/index.js";
import type { SbomComponent } from "./component.js";
import { cycloneDxJson } from "./cyclonedx.js";
import { spdxJson } from "./spdx.js";

/** The SBOM media types CNB's `sbom-formats` names, mapped to the file extension the lifecycle expects. */
export const SBOM_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  "application/vnd.cyclonedx+json": "cdx.json",
  "application/spdx+json": "spdx.json",
});

/** Options for {@link writeSbomFiles}; `name` defaults to the base name without `.sbom`. */
export interface WriteSbomOptions {
  name?: string;
  version?: string;
  namespace?: string;
  created?: string;
  timestamp?: Date;
}

/**
 * Writes `<basePath>.<ext>` for each media type in `formats` (see {@link SBOM_FORMATS}), each
 * atomically. With basePath `<layers>/node.sbom`, CycloneDX lands in `node.sbom.cdx.json`.
 *
 * @throws CnbError for a media type cnbkit cannot write, before writing anything.
 */
export async function writeSbomFiles(
  basePath: string,
  formats: readonly string[],
  components: readonly SbomComponent[],
  opts: WriteSbomOptions = {},
): Promise<void> {
  for (const f of formats) {
    if (SBOM_FORMATS[f] === undefined) {
      throw new CnbError(
        `${basePath}: unsupported SBOM format "${f}" (supported: ${Object.keys(SBOM_FORMATS).join(", ")})`,
        { hint: "Set sbom-formats in buildpack.toml to media types cnbkit can write." },
      );
    }
  }
  const name = opts.name ?? basename(basePath).replace(/\.sbom$/, "");
  for (const f of [...new Set(formats)]) {
    const text =
      f === "application/spdx+json"
        ? spdxJson(components, {
            name,
            ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
            ...(opts.created === undefined ? {} : { created: opts.created }),
          })
        : cycloneDxJson(components, {
            name,
            ...(opts.version === undefined ? {} : { version: opts.version }),
            ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
          });
    await writeAtomic(`${basePath}.${SBOM_FORMATS[f]}`, text, { mode: 0o644 });
  }
}
