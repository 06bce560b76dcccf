/**
 * A stand-in for Gradle in the buildpack's tests (Gradle's distribution server is not
 * reachable from cnbkit's CI). It behaves as `gradle assemble` does for the parts the
 * buildpack relies on: it runs from the project dir with the JDK on JAVA_HOME, compiles
 * src/main/java, writes build/libs/demo.jar (Main-Class demo.App) and Spring Boot's
 * build/libs/demo-plain.jar beside it, and uses GRADLE_USER_HOME. It also prints what it was
 * given (arguments, JAVA_TOOL_OPTIONS, the bound gradle.properties and init scripts, how many runs the restored
 * GRADLE_USER_HOME has seen), so tests can check them in the build log.
 */
import { spawnSync } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The script: used as an app's `gradlew` and as `bin/gradle` of a fake distribution. */
export const FAKE_GRADLE = `#!/bin/sh
set -e
echo "fake gradle: $*"
runs=$(cat "$GRADLE_USER_HOME/runs" 2>/dev/null || echo 0)
echo $((runs + 1)) > "$GRADLE_USER_HOME/runs"
echo "fake gradle: run $((runs + 1)) with this GRADLE_USER_HOME"
echo "fake gradle: JAVA_TOOL_OPTIONS=\${JAVA_TOOL_OPTIONS:-}"
if [ -f "$GRADLE_USER_HOME/gradle.properties" ]; then echo "fake gradle: gradle.properties: $(cat "$GRADLE_USER_HOME/gradle.properties")"; fi
prev=
for a in "$@"; do
  if [ "$prev" = "--init-script" ]; then echo "fake gradle: init script: $(cat "$a")"; fi
  prev=$a
done
rm -rf build && mkdir -p build/classes build/libs
"$JAVA_HOME/bin/javac" -d build/classes $(find src/main/java -name '*.java')
"$JAVA_HOME/bin/jar" --create --file build/libs/demo.jar --main-class demo.App -C build/classes .
"$JAVA_HOME/bin/jar" --create --file build/libs/demo-plain.jar -C build/classes .
case " $* " in *" -Pextra "*) cp build/libs/demo.jar build/libs/demo-extra.jar ;; esac
`;

/**
 * Writes a fake Gradle distribution zip (`gradle-<version>/bin/gradle`, as Gradle's own
 * zips are laid out) into `work` and returns its path.
 */
export async function fakeGradleDistribution(work: string, version: string): Promise<string> {
  const bin = join(work, "dist", `gradle-${version}`, "bin");
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, "gradle"), FAKE_GRADLE);
  await chmod(join(bin, "gradle"), 0o755);
  const zip = join(work, `gradle-${version}-bin.zip`);
  const r = spawnSync("zip", ["-qr", zip, `gradle-${version}`], { cwd: join(work, "dist"), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`zip failed: ${r.stderr || r.error?.message}`);
  return zip;
}
