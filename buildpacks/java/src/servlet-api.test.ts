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
