import { spawnSync } from "node:child_process";
import { expect, test } from "vitest";
import { hereDocBody, placeholderNames, renderTemplate, setsDirective, userConfFixes } from "./launch-script.js";

/** What sh makes of a here-document body, with `env`. */
function sh(body: string, env: Record<string, string>): string {
  const r = spawnSync("sh", ["-c", `cat <<EOF\n${body}EOF`], {
    env: { PATH: "/usr/bin:/bin", ...env },
    encoding: "utf8",
  });
  return r.stdout;
}

test.each([
  ["listen $PORT;", "listen 9000;\n"],
  ["listen ${PORT};", "listen 9000;\n"],
  ["listen {{port}};", "listen 9000;\n"],
  ['return 200 "{{env "NAME"}}";', 'return 200 "ann";\n'],
  ["root ${ROOT_DIR}/x; try_files $uri $uri/ =404;", "root /srv/x; try_files $uri $uri/ =404;\n"],
  ["set $PORTS 1; `x` \\n ${host} $PORTAL", "set $PORTS 1; `x` \\n ${host} $PORTAL\n"],
  ["unset: ${MISSING}.", "unset: .\n"],
])("%s fills in as %s", (template, out) => {
  expect(sh(hereDocBody(template), { PORT: "9000", NAME: "ann", ROOT_DIR: "/srv" })).toBe(out);
  expect(renderTemplate(template, { PORT: "9000", NAME: "ann", ROOT_DIR: "/srv" })).toBe(out.trimEnd());
});

test("placeholders: PORT always, and the env names the template reads", () => {
  expect(placeholderNames('listen {{port}}; return 200 "{{env "A"}} ${B}";')).toEqual(["PORT", "A", "B"]);
});

test("an app's nginx.conf gains what nginx would write as root, unless it sets it", () => {
  const fixed = userConfFixes("events {}\nhttp {\n  access_log off;\n  server { listen $PORT; }\n}\n");
  expect(fixed.split("\n")[0]).toBe("pid nginx.pid; events {}");
  expect(fixed.split("\n").length).toBe(6);
  expect(fixed).toContain("client_body_temp_path client_body;");
  expect(fixed).not.toContain("access_log /dev/stdout");
  const own = "pid /tmp/x.pid;\nevents {}\nhttp { client_body_temp_path /tmp/b; }";
  expect(userConfFixes(own)).not.toContain("pid nginx.pid");
  expect(userConfFixes(own)).not.toContain("client_body_temp_path client_body");
  expect(setsDirective("# daemon on;\nevents {}", "daemon")).toBe(false);
  expect(setsDirective("daemon off;\nevents {}", "daemon")).toBe(true);
});
