/**
 * A release's lifecycle.toml (the lifecycle's "descriptor"): its version and the buildpack
 * and platform API versions it supports and deprecates.
 */
import { CnbError } from "@cnbkit/framework";
import { parseToml } from "@cnbkit/framework/cnb-files";

/** API versions of one kind, as lifecycle.toml lists them. */
export interface ApiVersions {
  deprecated: string[];
  supported: string[];
}

/** lifecycle.toml's `[lifecycle] version` and `[apis]`. */
export interface LifecycleDescriptor {
  version: string;
  apis: { buildpack: ApiVersions; platform: ApiVersions };
}

/**
 * Parses lifecycle.toml text. One-line {@link CnbError}s naming `where` when the version or
 * an `[apis.<kind>] supported` list is missing: the image's labels are made of them.
 *
 * @example
 * parseLifecycleDescriptor('[apis.buildpack]\nsupported = ["0.12"]\n...', "lifecycle.toml").version
 */
export function parseLifecycleDescriptor(text: string, where: string): LifecycleDescriptor {
  const doc = parseToml(text, where);
  const lc = doc.lifecycle as { version?: unknown } | undefined;
  if (typeof lc?.version !== "string" || lc.version === "") {
    throw new CnbError(`${where}: [lifecycle] version is missing`);
  }
  const apis = doc.apis as Record<string, { deprecated?: unknown; supported?: unknown }> | undefined;
  const list = (kind: "buildpack" | "platform"): ApiVersions => {
    const a = apis?.[kind];
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
    if (
      !a ||
      !strings(a.supported) ||
      a.supported.length === 0 ||
      (a.deprecated !== undefined && !strings(a.deprecated))
    ) {
      throw new CnbError(`${where}: [apis.${kind}] needs a non-empty supported list (and optionally deprecated)`);
    }
    return { deprecated: (a.deprecated as string[] | undefined) ?? [], supported: a.supported };
  };
  return { version: lc.version, apis: { buildpack: list("buildpack"), platform: list("platform") } };
}
