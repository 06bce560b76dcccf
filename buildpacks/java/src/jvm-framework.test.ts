import { expect, test } from "vitest";
import { detectJvmFramework, portVariables } from "./jvm-framework.js";
import { polyglotPom } from "./polyglot-maven.js";

test.each([
  [["target/quarkus-app/quarkus-run.jar", "target/quarkus-app/lib/main/io.vertx.vertx-core-4.5.jar"], "quarkus"],
  [["quarkus-app/lib/main/io.quarkus.quarkus-core-3.15.1.jar"], "quarkus"],
  [["META-INF/MANIFEST.MF", "io/micronaut/http/server/netty/NettyHttpServer.class"], "micronaut"],
  [["target/libs/micronaut-http-server-netty-4.6.5.jar"], "micronaut"],
  [["target/app.jar", "target/libs/helidon-webserver-3.2.9.jar"], "helidon"],
  [["BOOT-INF/lib/spring-boot-3.5.4.jar", "BOOT-INF/lib/spring-webmvc-6.2.jar"], "spring-boot"],
  [["org/springframework/boot/loader/launch/JarLauncher.class"], "spring-boot"],
  [["hello/Main.class", "lib/spring-boot-starter-web-helper.jar"], undefined],
])("%j is %s", (paths, framework) => {
  expect(detectJvmFramework(paths)).toBe(framework);
});

test.each([
  ["quarkus", ["SERVER_PORT", "QUARKUS_HTTP_PORT"]],
  ["micronaut", ["SERVER_PORT", "MICRONAUT_SERVER_PORT"]],
  ["helidon", ["SERVER_PORT"]],
  ["spring-boot", ["SERVER_PORT"]],
  [undefined, ["SERVER_PORT"]],
] as const)("%s gets %j", (framework, vars) => {
  expect(portVariables(framework)).toEqual(vars);
});

const takari = `<extensions><extension><groupId>io.takari.polyglot</groupId><artifactId>polyglot-yaml</artifactId><version>0.7.2</version></extension></extensions>`;
test.each([
  ["pom.yaml with polyglot-yaml", takari, ["pom.yaml"], "pom.yaml"],
  ["pom.kts", takari.replace("polyglot-yaml", "polyglot-kotlin"), ["pom.kts", "README.md"], "pom.kts"],
  ["another extension", "<groupId>kr.motd.maven</groupId>", ["pom.yaml"], undefined],
  ["polyglot but no pom", takari, ["README.md"], undefined],
])("polyglot: %s", (_n, ext, files, pom) => {
  expect(polyglotPom(ext, (f) => files.includes(f))).toBe(pom);
});
