/**
 * The prebuilt executable jar the Java e2e and long tests build into images: a tiny
 * com.sun.net.httpserver server compiled with the host's JDK, no Maven or Gradle involved.
 */
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

const SERVER_JAVA = `package hello;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
public class Server {
  public static void main(String[] args) throws Exception {
    String host = System.getenv().getOrDefault("HOST", "0.0.0.0");
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 0);
    s.createContext("/", ex -> {
      byte[] body = ("jar on " + System.getProperty("java.version") + " JAVA_TOOL_OPTIONS=" + System.getenv("JAVA_TOOL_OPTIONS")
          + " maxMemory=" + Runtime.getRuntime().maxMemory() + "\\n").getBytes();
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    s.start();
  }
}
`;

/**
 * Compiles the server (Java 17 bytecode) into `<dir>/server.jar`, its sources in `<dir>/../jar-src`.
 * It answers `jar on <java.version> JAVA_TOOL_OPTIONS=<…> maxMemory=<bytes>` on $HOST:$PORT,
 * so a test sees the runtime, the memory calculator's options and the heap they gave.
 */
export async function serverJar(dir: string): Promise<void> {
  const src = join(dir, "..", "jar-src");
  await mkdir(join(src, "hello"), { recursive: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(src, "hello", "Server.java"), SERVER_JAVA);
  for (const args of [
    ["javac", "--release", "17", "-d", "classes", "hello/Server.java"],
    ["jar", "--create", "--file", join(dir, "server.jar"), "--main-class", "hello.Server", "-C", "classes", "."],
  ]) {
    const r = spawnSync(args[0] as string, args.slice(1), { cwd: src, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
  }
}
