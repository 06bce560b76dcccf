import { expect, test } from "vitest";
import { collectStaticHint } from "./collect-static.js";

test("a setting Django finds empty at build is named, with the --env that supplies it", () => {
  const message =
    'manage.py collectstatic: "/layers/cnbkit_python/venv/bin/python manage.py collectstatic --noinput" failed (exit 1): ImproperlyConfigured: The SECRET_KEY setting must not be empty.';
  expect(collectStaticHint(message, "config/settings.py")).toBe(
    "collectstatic runs config/settings.py at build, which needs SECRET_KEY: pass it with --env SECRET_KEY=… at build (build settings are not kept in the image), give it a default, or set BP_DISABLE_COLLECTSTATIC=true to skip it.",
  );
});

test("any other failure says why collectstatic ran and how to skip it", () => {
  expect(
    collectStaticHint(
      "… failed (exit 1): ModuleNotFoundError: No module named 'wagtailmenus'",
      "mysite/settings/dev.py",
    ),
  ).toBe(
    "collectstatic runs at build because mysite/settings/dev.py sets STATIC_ROOT: fix the error above (a variable the settings read at run time can be passed with --env NAME=value at build), or set BP_DISABLE_COLLECTSTATIC=true to skip it.",
  );
});

test("a STATIC_ROOT outside the app (a leading slash in os.path.join) is named", () => {
  expect(
    collectStaticHint(
      "… failed (exit 1): PermissionError: [Errno 13] Permission denied: '/staticfiles'",
      "backend/settings.py",
    ),
  ).toBe(
    'collectstatic could not write /staticfiles, outside the app dir: let STATIC_ROOT be a path in the app (os.path.join(BASE_DIR, "staticfiles"); a leading slash, as in "/staticfiles/", makes it absolute), or set BP_DISABLE_COLLECTSTATIC=true to skip it.',
  );
});
