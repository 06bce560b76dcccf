/**
 * The SBOM layer of a base image: CycloneDX and SPDX documents of its Debian packages at
 * `/cnb/sbom/sbom.cdx.json` and `/cnb/sbom/sbom.spdx.json`, in a layer of their own whose
 * diffID the image names in `io.buildpacks.base.sbom`, as Paketo's stacks do. An app image
 * keeps its run image's layers and labels, so the SBOM of "what the app runs on" travels
 * with the app; `cnbkit sbom` finds it by that label.
 */
import { cycloneDxJson, spdxJson } from "@cnbkit/framework/sbom";
import { type LayerDescriptor, writeLayer } from "../oci/index.js";
import { BASE_SBOM_DIR, BASE_SBOM_FILES } from "./base-sbom-location.js";
import { dpkgComponents, readDpkgPackages } from "./dpkg-status.js";

/** What {@link writeBaseSbomLayer} wrote. */
export interface BaseSbomLayer extends LayerDescriptor {
  /** How many Debian packages the documents list. */
  packages: number;
}

/**
 * Reads the Debian packages of `rootfs` and writes the SBOM layer blob into `blobDir`. The
 * same packages give the same bytes (no timestamps or random serial numbers), so the same
 * rootfs gives the same layer digest.
 *
 * @param subject names the documents, e.g. `cnbkit Debian 13 run image (amd64)`
 * @param distroVersion Debian's version number, for the purls' `distro=debian-<n>`
 */
export async function writeBaseSbomLayer(
  rootfs: string,
  blobDir: string,
  subject: string,
  distroVersion: string,
): Promise<BaseSbomLayer> {
  const components = dpkgComponents(await readDpkgPackages(rootfs), distroVersion);
  const docs: Record<string, string> = {
    [BASE_SBOM_FILES["application/vnd.cyclonedx+json"]]: cycloneDxJson(components, { name: subject }),
    [BASE_SBOM_FILES["application/spdx+json"]]: spdxJson(components, { name: subject }),
  };
  const layer = await writeLayer(
    [
      { type: "dir", path: "cnb" },
      { type: "dir", path: BASE_SBOM_DIR },
      ...Object.entries(docs).map(([name, data]) => ({
        type: "file" as const,
        path: `${BASE_SBOM_DIR}/${name}`,
        size: Buffer.byteLength(data),
        data,
      })),
    ],
    blobDir,
  );
  return { ...layer, packages: components.length };
}
