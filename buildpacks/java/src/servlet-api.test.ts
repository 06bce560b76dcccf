import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { classApi, readWarFacts, servletApiOf, type WarFacts } from "./servlet-api.js";
import { staticWar } from "./testing/app-layouts.js";
import { servletWar } from "./testing/servlet-war.js";

const facts = (o: Partial<WarFacts>): WarFacts => ({ entries: [], classApis: new Map(), ...o });

describe("servletApiOf", () => {
  test("web.xml's namespace says it first", () => {
    const jakartaXml = '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"/>';
    const javaxXml = '<web-app xmlns="http://xmlns.jcp.org/xml/ns/javaee" version="4.0"/>';
    const oldXml = '<web-app xmlns="http://java.sun.com/xml/ns/javaee" version="3.0"/>';
    expect(servletApiOf(facts({ webXml: jakartaXml }))?.api).toBe("jakarta");
    expect(servletApiOf(facts({ webXml: javaxXml }))).toEqual({
      api: "javax",
      evidence: "WEB-INF/web.xml's namespace",
    });
    expect(servletApiOf(facts({ webXml: oldXml }))?.api).toBe("javax");
  });

  test("then the app's classes, then its libraries by name", () => {
    const classes = new Map([["WEB-INF/classes/demo/Hello.class", "jakarta" as const]]);
    expect(servletApiOf(facts({ classApis: classes }))).toEqual({
      api: "jakarta",
      evidence: "WEB-INF/classes/demo/Hello.class",
    });
    const boot3 = ["WEB-INF/lib/spring-boot-3.4.1.jar", "WEB-INF/lib/spring-web-6.2.1.jar", "WEB-INF/classes/a.txt"];
    expect(servletApiOf(facts({ entries: boot3 }))).toEqual({
      api: "jakarta",
      evidence: "WEB-INF/lib/spring-boot-3.4.1.jar",
    });
    const boot2 = ["WEB-INF/lib-provided/tomcat-embed-core-9.0.83.jar", "WEB-INF/lib/jackson-core-2.15.3.jar"];
    expect(servletApiOf(facts({ entries: boot2 }))?.api).toBe("javax");
    expect(servletApiOf(facts({ entries: ["WEB-INF/lib/jersey-container-servlet-core-3.1.5.jar"] }))?.api).toBe(
      "jakarta",
    );
    expect(servletApiOf(facts({ entries: ["WEB-INF/lib/spring-webmvc-5.3.39.jar"] }))?.api).toBe("javax");
  });

  test("a Jakarta WAR that needs Servlet 6.1 says so: web.xml's version, or Spring 7, Boot 4, the 6.1 API", () => {
    const xml61 = '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.1"/>';
    expect(servletApiOf(facts({ webXml: xml61 }))?.servlet61).toBe("WEB-INF/web.xml's version");
    const petclinic = ["WEB-INF/lib/spring-core-7.0.8.jar", "WEB-INF/lib/spring-webmvc-7.0.8.jar"];
    const classes = new Map([["WEB-INF/classes/petclinic/Web.class", "jakarta" as const]]);
    expect(servletApiOf(facts({ entries: petclinic, classApis: classes }))).toEqual({
      api: "jakarta",
      evidence: "WEB-INF/classes/petclinic/Web.class",
      servlet61: "WEB-INF/lib/spring-webmvc-7.0.8.jar",
    });
    for (const lib of ["spring-boot-4.0.1.jar", "jakarta.servlet-api-6.1.0.jar", "tomcat-embed-core-11.0.18.jar"]) {
      expect(servletApiOf(facts({ entries: [`WEB-INF/lib/${lib}`] }))?.servlet61).toBe(`WEB-INF/lib/${lib}`);
    }
    // Servlet 6.0 apps (Spring 6, Boot 3, the 6.0 API, a 6.0 web.xml) stay on 10.1.
    const sixO = ["WEB-INF/lib/spring-web-6.2.1.jar", "WEB-INF/lib/jakarta.servlet-api-6.0.0.jar"];
    expect(servletApiOf(facts({ entries: sixO }))?.servlet61).toBeUndefined();
    const xml60 = '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"/>';
    expect(servletApiOf(facts({ webXml: xml60 }))).toEqual({ api: "jakarta", evidence: "WEB-INF/web.xml's namespace" });
  });

  test("a WAR that names neither (static files, unrelated jars) is undefined", () => {
    expect(servletApiOf(facts({ entries: ["index.html", "WEB-INF/lib/commons-lang3-3.14.0.jar"] }))).toBeUndefined();
    // A jar elsewhere in the WAR is not a library the webapp loads.
    expect(servletApiOf(facts({ entries: ["static/spring-web-6.0.0.jar"] }))).toBeUndefined();
  });
});

test("classApi reads the package a class file's constant pool names", () => {
  expect(classApi("\u0000\u001ajakarta/servlet/http/HttpServlet\u0001")).toBe("jakarta");
  expect(classApi("Ljavax/servlet/ServletContext;")).toBe("javax");
  expect(classApi("java/lang/Object")).toBeUndefined();
});

describe("readWarFacts on WARs compiled here", () => {
  let work = "";
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "cnbkit-servlet-api-"));
  }, 120_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  test.each(["jakarta", "javax"] as const)(
    "a %s servlet with no web.xml is found by its class",
    async (api) => {
      await servletWar(join(work, api), api);
      expect(servletApiOf(await readWarFacts(join(work, api, "demo.war")))).toEqual({
        api,
        evidence: "WEB-INF/classes/demo/Hello.class",
      });
    },
    120_000,
  );

  test("a static WAR's javaee web.xml says javax", async () => {
    await staticWar(join(work, "static"));
    expect(servletApiOf(await readWarFacts(join(work, "static", "demo.war")))?.api).toBe("javax");
  });
});
