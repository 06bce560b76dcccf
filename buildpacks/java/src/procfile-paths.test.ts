import { expect, test } from "vitest";
import { procfilePaths } from "./procfile-paths.js";

// `*` after a path marks a glob.
test.each([
  ["Heroku's Maven line", "web: java $JAVA_OPTS -Dserver.port=$PORT -jar target/app.jar", ["java", "target/app.jar"]],
  ["a Gradle glob", "web: java -jar build/libs/*.jar", ["java", "build/libs/*.jar*"]],
  [
    "a class path, quoted, ./ and //",
    "web: java -cp 'target/classes:target/dependency/*' com.example.Main\nworker: java -jar ./target//w.jar",
    ["java", "target/classes", "target/dependency/**", "com.example.Main", "target/w.jar"],
  ],
  [
    "comments, blanks, absolute paths, .., variables, ~",
    "# web: x.jar\n\nweb: /usr/bin/java -jar ../x.jar $APP ~/y.jar",
    [],
  ],
  [
    "shell operators are not paths",
    "web: cd target && exec java -jar app.jar > log",
    ["cd", "target", "exec", "java", "app.jar", "log"],
  ],
])("%s", (_name, text, expected) => {
  const got = procfilePaths(text).map((p) => `${p.path}${p.glob ? "*" : ""}`);
  // Words that are no path (java, cd) are candidates too: the step keeps only what exists.
  expect(got).toEqual(expected);
});
