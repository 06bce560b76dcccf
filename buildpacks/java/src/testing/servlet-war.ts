/**
 * WARs with a real servlet, compiled here against the servlet API of the Tomcat line that
 * serves it (the `lib/servlet-api.jar` of the local builder's Tomcat 9.0 or 10.1 tarball):
 * `jakarta.servlet` or `javax.servlet`, as Spring Boot 3 and 2 WARs are. The servlet is
 * registered by `@WebServlet` alone, so the WAR has no web.xml to tell the API: the class is
 * what the buildpack must read. It answers `<api> servlet on <Tomcat's server info>`, so a test
 * sees both which API loaded and which Tomcat ran it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { javaCacheDir, LOCAL_TOMCATS, localTomcatTarball } from "../../../../tools/local-builder/local-java.js";
import { makeJar } from "./app-layouts.js";
import { run } from "./java-apps.js";

/** The local Tomcat that serves `api`. */
function tomcatFor(api: "jakarta" | "javax"): string {
  const v = LOCAL_TOMCATS.find((t) => (api === "javax" ? t.startsWith("9.") : !t.startsWith("9.")));
  if (!v) throw new Error(`no local Tomcat for ${api}.servlet`);
  return v;
}

/** `lib/servlet-api.jar` of the local Tomcat serving `api`, extracted once into the test mirror. */
export async function servletApiJar(api: "jakarta" | "javax"): Promise<string> {
  const version = tomcatFor(api);
  const cache = javaCacheDir();
  const out = join(cache, `servlet-api-tomcat-${version}.jar`);
  if (existsSync(out)) return out;
  const tarball = await localTomcatTarball(version);
  const work = await mkdtemp(join(cache, ".servlet-api-"));
  try {
    run("tar", ["-xzf", tarball, "--strip-components=2", `apache-tomcat-${version}/lib/servlet-api.jar`], work);
    await rename(join(work, "servlet-api.jar"), out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return out;
}

/**
 * `<target>/demo.war` with `demo.Hello`, a `<api>.servlet` HttpServlet serving every path (`/`),
 * and `webXml` as its WEB-INF/web.xml when given.
 */
export async function servletWar(target: string, api: "jakarta" | "javax", webXml?: string): Promise<void> {
  const source = `package demo;
import ${api}.servlet.annotation.WebServlet;
import ${api}.servlet.http.HttpServlet;
import ${api}.servlet.http.HttpServletRequest;
import ${api}.servlet.http.HttpServletResponse;
import java.io.IOException;
@WebServlet("/")
public class Hello extends HttpServlet {
  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    res.setContentType("text/plain");
    res.getWriter().print("${api} servlet on " + getServletContext().getServerInfo());
  }
}
`;
  await makeJar(
    join(target, "demo.war"),
    { "demo/Hello.java": source },
    {
      classPath: await servletApiJar(api),
      classesIn: "WEB-INF/classes",
      ...(webXml === undefined ? {} : { resources: { "WEB-INF/web.xml": webXml } }),
    },
  );
}
