import { expect, test } from "vitest";
import { parseJarManifest } from "./jar-manifest.js";
import { startCommand } from "./start-command.js";

test.each([
  ["Main-Class", "Main-Class: com.example.App\n", ["java", "-cp", ".", "com.example.App"]],
  [
    "Main-Class with Class-Path",
    "Main-Class: a.App\nClass-Path: lib/a.jar lib/b.jar\n",
    ["java", "-cp", ".:lib/a.jar:lib/b.jar", "a.App"],
  ],
  [
    "Spring Boot runs its launcher on the exploded tree",
    "Main-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: com.example.Demo\nSpring-Boot-Version: 3.5.4\n",
    ["java", "-cp", ".", "org.springframework.boot.loader.launch.JarLauncher"],
  ],
])("%s", (_name, text, command) => {
  expect(startCommand(parseJarManifest(text), "META-INF/MANIFEST.MF")).toEqual(command);
});

test("a manifest without Main-Class says so", () => {
  expect(() => startCommand(parseJarManifest("Manifest-Version: 1.0\n"), "META-INF/MANIFEST.MF")).toThrow(
    "META-INF/MANIFEST.MF: no Main-Class, so there is nothing to run",
  );
});
