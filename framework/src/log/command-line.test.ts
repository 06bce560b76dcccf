import { expect, test } from "vitest";
import { commandLine } from "./command-line.js";

test("plain words stay as they are; spaces, $ and quotes are single-quoted", () => {
  expect(commandLine(["python", "main.py", "--port=8080"])).toBe("python main.py --port=8080");
  expect(commandLine(["bash", "-c", "gunicorn wsgi:app"])).toBe("bash -c 'gunicorn wsgi:app'");
  expect(commandLine(["sh", "-c", `echo "$PORT" it's`])).toBe(`sh -c 'echo "$PORT" it'\\''s'`);
  expect(commandLine(["node", ""])).toBe("node ''");
});
