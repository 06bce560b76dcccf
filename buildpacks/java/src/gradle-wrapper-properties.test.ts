import { expect, test } from "vitest";
import { withDistributionUrl, wrapperProperty } from "./gradle-wrapper-properties.js";

const GRADLE_WRITES = [
  "distributionBase=GRADLE_USER_HOME",
  "distributionPath=wrapper/dists",
  "distributionSha256Sum=ab12",
  "distributionUrl=https\\://services.gradle.org/distributions/gradle-9.4.1-bin.zip",
  "networkTimeout=10000",
  "zipStoreBase=GRADLE_USER_HOME",
  "zipStorePath=wrapper/dists",
  "",
].join("\n");

test.each([
  ["distributionUrl", "https://services.gradle.org/distributions/gradle-9.4.1-bin.zip"],
  ["distributionSha256Sum", "ab12"],
  ["networkTimeout", "10000"],
  ["missing", undefined],
])("wrapperProperty(%s)", (key, value) => {
  expect(wrapperProperty(GRADLE_WRITES, key)).toBe(value);
});

test("comments, ':' separators and spaces are read as Java reads them", () => {
  const text = "# distributionUrl=https\\://wrong\n  distributionUrl : https\\://right/g.zip  \r\n";
  expect(wrapperProperty(text, "distributionUrl")).toBe("https://right/g.zip");
});

test("withDistributionUrl changes that line only, escaped as Gradle writes it", () => {
  const out = withDistributionUrl(
    GRADLE_WRITES,
    "http://127.0.0.1:8080/services.gradle.org/distributions/gradle-9.4.1-bin.zip",
  );
  expect(out).toBe(
    GRADLE_WRITES.replace("https\\://services.gradle.org/", "http\\://127.0.0.1\\:8080/services.gradle.org/"),
  );
  expect(wrapperProperty(out, "distributionUrl")).toBe(
    "http://127.0.0.1:8080/services.gradle.org/distributions/gradle-9.4.1-bin.zip",
  );
  // CRLF files keep their line ends.
  expect(withDistributionUrl("distributionUrl=a\r\nx=1\r\n", "b")).toBe("distributionUrl=b\r\nx=1\r\n");
});
