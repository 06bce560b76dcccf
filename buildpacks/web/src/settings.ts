/**
 * cnbkit/web's BP_* settings, read once into plain values (Paketo's names, so a project.toml
 * written for Paketo's nginx buildpack keeps working). Invalid values fail in one line.
 */
import { CnbError, type Settings } from "@cnbkit/framework";

/** The settings, parsed. Undefined means "not set": the buildpack chooses. */
export interface WebSettings {
  /** BP_WEB_SERVER_ROOT: the directory to serve, relative to the app (or absolute inside it). */
  root?: string | undefined;
  /** BP_WEB_SERVER_ENABLE_PUSH_STATE: fall back to index.html for unknown paths. */
  pushState?: boolean | undefined;
  /** BP_WEB_SERVER_FORCE_HTTPS: redirect `X-Forwarded-Proto: http` requests to https. */
  forceHttps: boolean;
  /** BP_NGINX_VERSION: a version range of the inventory's nginx. */
  nginxVersion?: string | undefined;
}

/** Reads a boolean setting: true/false/1/0/yes/no (any case); undefined when unset or empty. */
export function parseBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  throw new CnbError(`${name}="${value}" is not a boolean`, { hint: `set ${name} to true or false` });
}

/**
 * Parses the settings.
 *
 * @example
 * webSettings({ BP_WEB_SERVER_ENABLE_PUSH_STATE: "true" }); // { pushState: true, forceHttps: false }
 */
export function webSettings(settings: Settings): WebSettings {
  const root = settings.BP_WEB_SERVER_ROOT?.trim();
  if (root && root.split("/").includes("..")) {
    throw new CnbError(`BP_WEB_SERVER_ROOT="${root}" leaves the app directory`, {
      hint: "name a directory inside the app, e.g. dist or public",
    });
  }
  const version = settings.BP_NGINX_VERSION?.trim();
  return {
    root: root || undefined,
    pushState: parseBool("BP_WEB_SERVER_ENABLE_PUSH_STATE", settings.BP_WEB_SERVER_ENABLE_PUSH_STATE),
    forceHttps: parseBool("BP_WEB_SERVER_FORCE_HTTPS", settings.BP_WEB_SERVER_FORCE_HTTPS) ?? false,
    nginxVersion: version || undefined,
  };
}
