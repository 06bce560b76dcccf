import { expect, test } from "vitest";
import {
  collectStaticDisabledBy,
  collectStaticHint,
  noStaticRootWarning,
  staticRootCondition,
} from "./collect-static.js";

test("a setting Django finds empty at build is named, with the --env that supplies it", () => {
  const message =
    'config/settings.py: "/layers/cnbkit_python/venv/bin/python manage.py collectstatic --noinput" failed (exit 1): ImproperlyConfigured: The SECRET_KEY setting must not be empty.';
  expect(collectStaticHint(message, { file: "config/settings.py" })).toBe(
    "collectstatic runs config/settings.py at build, which needs SECRET_KEY: pass it with --env SECRET_KEY=… at build (build settings are not kept in the image), give it a default, or set BP_DISABLE_COLLECTSTATIC=true to skip it.",
  );
});

test("any other failure says why collectstatic ran and how to skip it", () => {
  expect(
    collectStaticHint("… failed (exit 1): ModuleNotFoundError: No module named 'wagtailmenus'", {
      file: "mysite/settings/dev.py",
    }),
  ).toBe(
    "collectstatic runs at build because mysite/settings/dev.py sets STATIC_ROOT: fix the error above (a variable the settings read at run time can be passed with --env NAME=value at build), or set BP_DISABLE_COLLECTSTATIC=true to skip it.",
  );
});

test("a STATIC_ROOT outside the app (a leading slash in os.path.join) is named", () => {
  expect(
    collectStaticHint("… failed (exit 1): PermissionError: [Errno 13] Permission denied: '/staticfiles'", {
      file: "backend/settings.py",
    }),
  ).toBe(
    'collectstatic could not write /staticfiles, outside the app dir: let STATIC_ROOT be a path in the app (os.path.join(BASE_DIR, "staticfiles"); a leading slash, as in "/staticfiles/", makes it absolute), or set BP_DISABLE_COLLECTSTATIC=true to skip it.',
  );
});

// render-examples/django: DEBUG = 'RENDER' not in os.environ, STATIC_ROOT only when not DEBUG.
const renderSettings = [
  "DEBUG = 'RENDER' not in os.environ",
  "STATIC_URL = '/static/'",
  "# Following settings only make sense on production",
  "if not DEBUG:",
  "    # Tell Django to copy static assets into a path called `staticfiles`",
  "    STATIC_ROOT = os.path.join(BASE_DIR, 'staticfiles')",
].join("\n");

test("a STATIC_ROOT set only under a condition the build does not meet: the hint names the condition", () => {
  expect(staticRootCondition(renderSettings)).toEqual({ line: 4, header: "if not DEBUG:" });
  expect(staticRootCondition("STATIC_ROOT = BASE_DIR / 'static'\n")).toBeUndefined();
  const message =
    "… failed (exit 1): ImproperlyConfigured: You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path.";
  expect(collectStaticHint(message, { file: "mysite/settings.py", text: renderSettings })).toBe(
    'mysite/settings.py sets STATIC_ROOT only under "if not DEBUG:" (line 4), which this build\'s environment does not meet: pass at build what it reads (--env NAME=value), or set BP_DISABLE_COLLECTSTATIC=true to skip it.',
  );
});

test("Heroku's DISABLE_COLLECTSTATIC turns collectstatic off too", () => {
  expect(collectStaticDisabledBy({ DISABLE_COLLECTSTATIC: "1" })).toBe("DISABLE_COLLECTSTATIC");
  expect(collectStaticDisabledBy({ BP_DISABLE_COLLECTSTATIC: "true", DISABLE_COLLECTSTATIC: "1" })).toBe(
    "BP_DISABLE_COLLECTSTATIC",
  );
  expect(collectStaticDisabledBy({ DISABLE_COLLECTSTATIC: "0" })).toBeUndefined();
});

test("settings with no STATIC_ROOT: one warning that says what skipping means and how to set it", () => {
  const line = noStaticRootWarning("mysite/settings.py", "sets no STATIC_ROOT");
  expect(line).toMatch(
    /^Skipping collectstatic: mysite\/settings\.py sets no STATIC_ROOT, so the image has no collected static files/,
  );
  expect(line).toContain('set STATIC_ROOT = BASE_DIR / "staticfiles" in mysite/settings.py');
  expect(line).not.toContain("\n");
});
