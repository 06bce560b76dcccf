/**
 * A certificate authority made by a test with openssl, and a server certificate it signs
 * for 127.0.0.1, in a temp dir the test removes with {@link TestCa.remove}. `bundle` is
 * this machine's trust plus the CA, the file a user hands over as NODE_EXTRA_CA_CERTS
 * (Node reads one file, so a CA of one's own goes beside the system's).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** The files of a {@link makeTestCa}. */
export interface TestCa {
  dir: string;
  /** The CA certificate (PEM). */
  caCert: string;
  /** The server certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1) and its key. */
  serverCert: string;
  serverKey: string;
  /** The system's CA bundle followed by the CA. */
  bundle: string;
  /** A directory holding only `ca.crt`, for skopeo's --cert-dir. */
  certDir: string;
  remove(): Promise<void>;
}

const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Makes a CA (named `caName`) and a 127.0.0.1 server certificate (RSA 2048, 30 days). */
export async function makeTestCa(caName = "cnbkit test registry CA"): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-test-ca-"));
  const f = (name: string) => join(dir, name);
  try {
    await exec("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "30",
      "-subj",
      `/CN=${caName}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-keyout",
      f("ca.key"),
      "-out",
      f("ca.pem"),
    ]);
    await exec("openssl", [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      f("server.key"),
      "-out",
      f("server.csr"),
    ]);
    await writeFile(
      f("server.ext"),
      "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    );
    await exec("openssl", [
      "x509",
      "-req",
      "-in",
      f("server.csr"),
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "30",
      "-extfile",
      f("server.ext"),
      "-out",
      f("server.pem"),
    ]);
    const ca = await readFile(f("ca.pem"), "utf8");
    const system = await readFile(SYSTEM_BUNDLE, "utf8").catch(() => "");
    await writeFile(f("bundle.pem"), `${system.trimEnd()}\n${ca}`);
    const certDir = f("certs.d");
    await exec("mkdir", ["-p", certDir]);
    await writeFile(join(certDir, "ca.crt"), ca);
    return {
      dir,
      caCert: f("ca.pem"),
      serverCert: f("server.pem"),
      serverKey: f("server.key"),
      bundle: f("bundle.pem"),
      certDir,
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
