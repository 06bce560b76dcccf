import { expect, test } from "vitest";
import { chooseTomcat, tomcatMissingApi } from "./tomcat-version.js";

const HAVE = ["9.0.117", "10.1.59", "10.1.58", "11.0.24"];
const jakarta = { api: "jakarta" as const, evidence: "WEB-INF/lib/spring-web-6.2.1.jar" };
const javax = { api: "javax" as const, evidence: "WEB-INF/web.xml's namespace" };

test("the WAR's servlet API picks the line: javax 9.0, Jakarta 10.1 (newest patch of each)", () => {
  expect(chooseTomcat(HAVE, javax, undefined, 17)).toEqual({
    version: "9.0.117",
    reason: "javax.servlet: WEB-INF/web.xml's namespace",
  });
  expect(chooseTomcat(HAVE, jakarta, undefined, 17)).toEqual({
    version: "10.1.59",
    reason: "jakarta.servlet: WEB-INF/lib/spring-web-6.2.1.jar",
  });
});

test("a WAR that names no API gets 10.1, or 9.0 on a Java older than 11", () => {
  expect(chooseTomcat(HAVE, undefined, undefined, 21).version).toBe("10.1.59");
  const old = chooseTomcat(HAVE, undefined, undefined, 8);
  expect(old.version).toBe("9.0.117");
  expect(old.reason).toContain("Java 8 is older than Tomcat 10.1 needs");
});

test("BP_TOMCAT_VERSION picks, as a line, a wildcard or an exact version", () => {
  expect(chooseTomcat(HAVE, javax, "11", 21)).toEqual({ version: "11.0.24", reason: "BP_TOMCAT_VERSION" });
  expect(chooseTomcat(HAVE, undefined, "10.1.*", 21).version).toBe("10.1.59");
  expect(chooseTomcat(HAVE, undefined, "10.1.58", 21).version).toBe("10.1.58");
  expect(chooseTomcat(HAVE, undefined, " 9.0 ", 21).version).toBe("9.0.117");
});

test("a BP_TOMCAT_VERSION nothing matches is one line listing what there is", () => {
  expect(() => chooseTomcat(HAVE, undefined, "8.5", 17)).toThrow(
    "BP_TOMCAT_VERSION=8.5 matches no Tomcat in the inventory (9.0.117, 10.1.59, 10.1.58, 11.0.24)",
  );
  expect(() => chooseTomcat(HAVE, undefined, "latest", 17)).toThrow("BP_TOMCAT_VERSION=latest matches no Tomcat");
  expect(() => chooseTomcat(["9.0.117"], jakarta, undefined, 17)).toThrow("the inventory has no Tomcat 10.1");
});

test("a Jakarta WAR that needs Servlet 6.1 (Spring Framework 7) gets 11.0, and says why", () => {
  const spring7 = { ...jakarta, servlet61: "WEB-INF/lib/spring-webmvc-7.0.8.jar" };
  expect(chooseTomcat(HAVE, spring7, undefined, 17)).toEqual({
    version: "11.0.24",
    reason: "jakarta.servlet 6.1: WEB-INF/lib/spring-webmvc-7.0.8.jar",
  });
  expect(chooseTomcat(HAVE, spring7, "10.1", 17).version).toBe("10.1.59");
  expect(() => chooseTomcat(["10.1.59"], spring7, undefined, 17)).toThrow("the inventory has no Tomcat 11.0");
});

test("tomcatMissingApi: 9 is javax, 10 and later Jakarta, 11 and later Servlet 6.1", () => {
  expect(tomcatMissingApi("9.0.117", javax)).toBeUndefined();
  expect(tomcatMissingApi("9.0.117", jakarta)).toEqual({ api: "jakarta.servlet", evidence: jakarta.evidence });
  expect(tomcatMissingApi("11.0.24", jakarta)).toBeUndefined();
  expect(tomcatMissingApi("10.1.59", javax)).toEqual({ api: "javax.servlet", evidence: javax.evidence });
  const spring7 = { ...jakarta, servlet61: "WEB-INF/lib/spring-web-7.0.8.jar" };
  expect(tomcatMissingApi("10.1.59", spring7)).toEqual({
    api: "jakarta.servlet 6.1",
    evidence: "WEB-INF/lib/spring-web-7.0.8.jar",
  });
  expect(tomcatMissingApi("11.0.24", spring7)).toBeUndefined();
});
