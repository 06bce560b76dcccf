/**
 * Which servlet API a WAR is written against: `jakarta.servlet` (Jakarta EE 9+, Tomcat 10+)
 * or `javax.servlet` (Java EE 8 and before, Tomcat 9). The two are not interchangeable: Tomcat 9
 * never loads a `jakarta.servlet.http.HttpServlet` (an annotated servlet is skipped without a
 * word and its path answers 404), and Tomcat 10 cannot load a javax one. Spring Boot 3 WARs are
 * Jakarta, Spring Boot 2 WARs javax, and nothing in a WAR's manifest says which.
 *
 * The evidence, strongest first: the web.xml's namespace (the deployment descriptor names its
 * spec), the app's own classes (their constant pools name the servlet classes they use), then
 * the libraries in WEB-INF/lib (and Spring Boot's WEB-INF/lib-provided) by name: the servlet API
 * jar itself, or a framework whose major version fixes the API (Spring 6, Spring Boot 3, Jersey
 * 3, Tomcat 10 are Jakarta). A WAR with none of these (static files only) runs on either.
 *
 * Within Jakarta, Servlet 6.1 (Jakarta EE 11) is a line of its own: Tomcat 11 is the first to
 * serve it, and Spring Framework 7 (Spring Boot 4) is built against it, so its apps fail on
 * Tomcat 10.1 (Servlet 6.0). The evidence, read the same way: web.xml's `version="6.1"`, then
 * the libraries (the 6.1 API jar, Spring 7, Spring Boot 4, embedded Tomcat 11).
 */
import { posix } from "node:path";
import { readJarEntries } from "./jar-files.js";

/** The servlet API a WAR uses, and the one piece of evidence that says so (for the log). */
export interface ServletApi {
  api: "jakarta" | "javax";
  /** e.g. `WEB-INF/lib/spring-web-6.2.1.jar`, `WEB-INF/web.xml's namespace`. */
  evidence: string;
  /** For a Jakarta WAR that needs Servlet 6.1 (Tomcat 11): what says so, e.g. `WEB-INF/lib/spring-webmvc-7.0.8.jar`. */
  servlet61?: string;
}

/** What {@link servletApiOf} reads of a WAR: entry names, the web.xml, and the API each class names. */
export interface WarFacts {
  /** Every entry name. */
  entries: readonly string[];
  /** WEB-INF/web.xml's text, when there is one. */
  webXml?: string | undefined;
  /** Classes under WEB-INF/classes that name a servlet package, with the one they name. */
  classApis: ReadonlyMap<string, "jakarta" | "javax">;
}

/** web.xml namespaces: Jakarta EE 9+ and the javaee / j2ee ones before it. */
const WEB_XML: readonly [RegExp, ServletApi["api"]][] = [
  [/jakarta\.ee\/xml\/ns\/jakartaee/, "jakarta"],
  [/xmlns\.jcp\.org\/xml\/ns\/javaee|java\.sun\.com\/xml\/ns\/(javaee|j2ee)/, "javax"],
];

/** Library jars (file names) whose version fixes the servlet API. */
const LIBRARIES: readonly [RegExp, ServletApi["api"]][] = [
  [/^jakarta\.servlet-api-/, "jakarta"],
  [/^javax\.servlet-api-|^servlet-api-2\./, "javax"],
  [/^spring-(web|webmvc)-([6-9]|\d\d)\./, "jakarta"],
  [/^spring-(web|webmvc)-[2-5]\./, "javax"],
  [/^spring-boot-([3-9]|\d\d)\./, "jakarta"],
  [/^spring-boot-[12]\./, "javax"],
  [/^tomcat-embed-core-(1\d)\./, "jakarta"],
  [/^tomcat-embed-core-[7-9]\./, "javax"],
  [/^jersey-container-servlet(-core)?-[3-9]\./, "jakarta"],
  [/^jersey-container-servlet(-core)?-2\./, "javax"],
];

/** Library jars whose version needs Servlet 6.1 (Jakarta EE 11): Tomcat 11 or later. */
const SERVLET_61_LIBRARIES: readonly RegExp[] = [
  /^jakarta\.servlet-api-(6\.[1-9]|[7-9]\.)/,
  /^spring-(web|webmvc)-([7-9]|\d\d)\./,
  /^spring-boot-([4-9]|\d\d)\./,
  /^tomcat-embed-core-(1[1-9])\./,
];

/** A web.xml of Servlet 6.1 or later: its `version` attribute or schema names it. */
const SERVLET_61_WEB_XML = /<web-app[^>]*\sversion\s*=\s*["'](6\.[1-9]|[7-9]\.\d)["']|web-app_(6_[1-9]|[7-9]_\d)\.xsd/;

/** Where WAR libraries live: WEB-INF/lib, and Spring Boot's WEB-INF/lib-provided. */
const LIB_DIR = /^WEB-INF\/lib(-provided)?\/[^/]+\.jar$/;

/** The API the facts show, or undefined when nothing in the WAR names one. Pure. */
export function servletApiOf(facts: WarFacts): ServletApi | undefined {
  const found = apiOf(facts);
  if (found?.api !== "jakarta") return found;
  const servlet61 = servlet61Evidence(facts);
  return servlet61 ? { ...found, servlet61 } : found;
}

/** The API alone (see {@link servletApiOf}). */
function apiOf(facts: WarFacts): ServletApi | undefined {
  for (const [pattern, api] of WEB_XML) {
    if (facts.webXml && pattern.test(facts.webXml)) return { api, evidence: "WEB-INF/web.xml's namespace" };
  }
  const classes = [...facts.classApis].sort(([a], [b]) => a.localeCompare(b));
  const [cls] = classes;
  if (cls) return { api: cls[1], evidence: cls[0] };
  for (const entry of libraries(facts)) {
    const found = LIBRARIES.find(([pattern]) => pattern.test(posix.basename(entry)));
    if (found) return { api: found[1], evidence: entry };
  }
  return undefined;
}

/** What says a Jakarta WAR needs Servlet 6.1, or undefined when nothing does. */
function servlet61Evidence(facts: WarFacts): string | undefined {
  if (facts.webXml && SERVLET_61_WEB_XML.test(facts.webXml)) return "WEB-INF/web.xml's version";
  return libraries(facts).find((entry) => SERVLET_61_LIBRARIES.some((p) => p.test(posix.basename(entry))));
}

/** The WAR's library jars, sorted (so the evidence named is the same on every build). */
function libraries(facts: WarFacts): string[] {
  return [...facts.entries].filter((e) => LIB_DIR.test(e)).sort();
}

/** Which servlet package a class file's text (its constant pool, decoded as text: the names are ASCII) names. */
export function classApi(text: string): "jakarta" | "javax" | undefined {
  if (text.includes("jakarta/servlet/")) return "jakarta";
  if (text.includes("javax/servlet/")) return "javax";
  return undefined;
}

/** Reads the facts of the WAR at `war` (streamed: only web.xml and the app's classes are read). */
export async function readWarFacts(war: string): Promise<WarFacts> {
  const entries: string[] = [];
  const classApis = new Map<string, "jakarta" | "javax">();
  let webXml: string | undefined;
  const wanted = (n: string) => n === "WEB-INF/web.xml" || (n.startsWith("WEB-INF/classes/") && n.endsWith(".class"));
  await readJarEntries(war, wanted, (name, text) => {
    entries.push(name);
    if (text === undefined) return;
    if (name === "WEB-INF/web.xml") webXml = text;
    else {
      const api = classApi(text);
      if (api) classApis.set(name, api);
    }
  });
  return { entries, webXml, classApis };
}
