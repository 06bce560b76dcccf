/**
 * Which Tomcat runs a WAR, as Paketo's Apache Tomcat buildpack chooses it: `BP_TOMCAT_VERSION`
 * when set (`10.1`, `10.1.*`, `9`, an exact version), else the line the WAR's servlet API
 * needs: javax → 9.0, Jakarta → 10.1 (Servlet 6.0, what Spring Boot 3 is built against; Paketo's
 * default line too), Jakarta Servlet 6.1 (Spring Framework 7, Spring Boot 4) → 11.0. A WAR that
 * names neither gets 10.1, unless the JVM is older than 11, which Tomcat 10.1 needs. Pure.
 */
import { CnbError } from "@cnbkit/framework";
import semver from "semver";
import type { ServletApi } from "./servlet-api.js";

/** The chosen version and why, in words for the log. */
export interface TomcatChoice {
  version: string;
  reason: string;
}

/**
 * The newest of `available` on `line` ("10.1", "10.1.*", "9", "10.1.59"): semver reads a
 * partial version as the range of its line, as BP_TOMCAT_VERSION means it. A value that is
 * no version at all matches nothing (the caller says so in one line).
 */
function newestOn(available: readonly string[], line: string): string | undefined {
  return semver.validRange(line) ? (semver.maxSatisfying([...available], line) ?? undefined) : undefined;
}

/**
 * Chooses among the inventory's `available` Tomcat versions.
 *
 * @example
 * chooseTomcat(["9.0.117", "10.1.59"], { api: "javax", evidence: "WEB-INF/web.xml's namespace" }, undefined, 17)
 * // { version: "9.0.117", reason: "javax.servlet: WEB-INF/web.xml's namespace" }
 */
export function chooseTomcat(
  available: readonly string[],
  api: ServletApi | undefined,
  requested: string | undefined,
  jvmMajor: number,
): TomcatChoice {
  const asked = requested?.trim();
  if (asked) {
    const version = newestOn(available, asked);
    if (!version) {
      throw new CnbError(`BP_TOMCAT_VERSION=${asked} matches no Tomcat in the inventory (${available.join(", ")})`, {
        hint: "Set BP_TOMCAT_VERSION to one of those lines (9.0, 10.1, 11.0) or unset it to choose by the WAR's servlet API.",
      });
    }
    return { version, reason: "BP_TOMCAT_VERSION" };
  }
  const line = api?.servlet61 ? "11.0" : api?.api === "javax" || (!api && jvmMajor < 11) ? "9.0" : "10.1";
  const version = newestOn(available, line);
  if (!version) throw new CnbError(`the inventory has no Tomcat ${line} (it has ${available.join(", ") || "none"})`);
  const reason = api?.servlet61
    ? `jakarta.servlet 6.1: ${api.servlet61}`
    : api
      ? `${api.api}.servlet: ${api.evidence}`
      : `the WAR names no servlet API${jvmMajor < 11 ? `, and Java ${jvmMajor} is older than Tomcat 10.1 needs` : ""}`;
  return { version, reason };
}

/**
 * What of `api` Tomcat `version` does not serve, in words (`jakarta.servlet`, `jakarta.servlet
 * 6.1`) with the evidence that the WAR needs it, or undefined when it serves it all: 9 serves
 * javax, 10 and later Jakarta, 11 and later Servlet 6.1.
 */
export function tomcatMissingApi(version: string, api: ServletApi): { api: string; evidence: string } | undefined {
  const major = Number(version.split(".")[0]);
  if (major >= 10 !== (api.api === "jakarta")) return { api: `${api.api}.servlet`, evidence: api.evidence };
  if (api.servlet61 && major < 11) return { api: "jakarta.servlet 6.1", evidence: api.servlet61 };
  return undefined;
}
