import { expect, test } from "vitest";
import { runnableCommand } from "../runnable-command.js";
import { SERVER_XML } from "./add-tomcat.js";

// cnbkit's server.xml: the app dir (the WAR exploded at build time) is the ROOT context, and
// Tomcat deploys, unpacks and writes nothing in the image at start.

/** The attributes of the one `<tag ...>` element in SERVER_XML. */
function attributes(tag: string): Record<string, string> {
  const elements = [...SERVER_XML.matchAll(new RegExp(`<${tag}\\s([^>]*?)/?>`, "g"))];
  expect(elements).toHaveLength(1);
  return Object.fromEntries([...(elements[0]?.[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

test("the ROOT context's docBase is the directory the launch command names, its work dir outside the image", () => {
  expect(attributes("Context")).toEqual({
    path: "",
    docBase: `\${cnbkit.docbase}`,
    workDir: `\${TMPDIR:-/tmp}/tomcat-work`,
  });
  const command = runnableCommand({ kind: "war", war: "target/petclinic.war" }, { tomcat: "/t", appDir: "/workspace" });
  // The property the context reads is the app dir itself, not the WAR (which is gone).
  expect(command).toContain("-Dcnbkit.docbase=/workspace");
  expect(command.join(" ")).not.toContain(".war");
});

test("the host deploys nothing of its own and unpacks nothing at start; the port is $PORT's", () => {
  expect(attributes("Host")).toMatchObject({ autoDeploy: "false", deployOnStartup: "false", unpackWARs: "false" });
  expect(attributes("Connector").port).toBe(`\${PORT:-8080}`);
  expect(attributes("Server").port).toBe("-1");
  expect(SERVER_XML).not.toMatch(/AccessLogValve|AJP/);
});
