import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import {
  hereDocBody,
  launcherScript,
  placeholderNames,
  renderTemplate,
  setsDirective,
  userConfFixes,
} from "./launch-script.js";

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

test("SIGTERM: the launcher exits with nginx's own status, even when nginx quits at once", async () => {
  // A stand-in nginx that quits the moment SIGQUIT comes (status 0), or 7 when it ends on its own.
  // The real one on an idle server can quit before the launcher's re-check, which once left the
  // interrupted wait's 143 as the status (a race this test makes likely, not certain).
  const home = await mkdtemp(join(tmpdir(), "cnbkit-web-launcher-"));
  try {
    await mkdir(join(home, "sbin"));
    await mkdir(join(home, "conf"));
    await writeFile(join(home, "conf", "mime.types"), "");
    // Node, not sh: sh starts `nginx &` with SIGQUIT ignored, which a sh trap can't undo.
    const fake = [
      `#!${process.execPath}`,
      'require("node:fs").writeFileSync(`${process.env.TMPDIR}/up`, "");',
      'process.on("SIGQUIT", () => process.exit(0));',
      "setTimeout(() => process.exit(7), 30_000);",
    ];
    await writeFile(join(home, "sbin", "nginx"), `${fake.join("\n")}\n`, { mode: 0o755 });
    const launcher = join(home, "start");
    await writeFile(launcher, launcherScript({ template: "events {}\n", nginxHome: home }), { mode: 0o755 });
    for (let round = 0; round < 5; round++) {
      await rm(join(home, "up"), { force: true });
      const child = spawn(launcher, [], { env: { PATH: "/usr/bin:/bin", TMPDIR: home }, stdio: "ignore" });
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      while (!existsSync(join(home, "up"))) await new Promise((r) => setTimeout(r, 10));
      // The launcher sets its trap right after starting nginx; give it that moment.
      await new Promise((r) => setTimeout(r, 50));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}, 30_000);
