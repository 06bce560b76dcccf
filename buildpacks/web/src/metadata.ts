/** cnbkit/web's `[metadata]` of buildpack.toml, typed and checked. */
import { CnbError } from "@cnbkit/framework";

/** The typed `[metadata]`. */
export interface WebMetadata {
  /** `[metadata.default-versions].nginx`: the range used when BP_NGINX_VERSION is unset. */
  defaultNginx: string;
}

/** Checks `[metadata]`: `default-versions.nginx` is required. */
export function parseMetadata(raw: unknown): WebMetadata {
  const m = (raw ?? {}) as Record<string, unknown>;
  const nginx = (m["default-versions"] as { nginx?: unknown } | undefined)?.nginx;
  if (typeof nginx !== "string" || nginx.trim() === "") {
    throw new CnbError('buildpack.toml: [metadata.default-versions].nginx must be a version range such as "1.*"');
  }
  return { defaultNginx: nginx };
}
