/**
 * The bottom layer of a lifecycle image: what `gcr.io/distroless/static` (the official
 * image's base, which cnbkit's users may not reach) gives the lifecycle, and nothing else.
 *
 * - /etc/passwd and /etc/group with root (0), nobody (65534) and nonroot (65532), as in
 *   distroless, so tools that look up the user find one;
 * - /etc/nsswitch.conf (`hosts: files dns`), so Go's resolver reads /etc/hosts first;
 * - /tmp (1777), /root and /home/nonroot (0700);
 * - /etc/ssl/certs/ca-certificates.crt: the lifecycle talks to registries over TLS.
 *
 * The CA bundle is the one the user passes (default: that of the machine making the image),
 * not one cnbkit carries: it must be current, and a network that cannot reach Docker Hub
 * usually has its own registry behind its own CA, which the lifecycle must trust too. The
 * bundle is checked to hold PEM certificates; its bytes go in as they are.
 */
import { readFile, stat } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import type { LayerEntry } from "../oci/index.js";

/** Where the bundle goes, and where distroless (and Debian) keep it. */
export const CA_BUNDLE_PATH = "etc/ssl/certs/ca-certificates.crt";

/** The environment distroless/static sets: a PATH, and where Go's and OpenSSL's TLS find the CA bundle. */
export const BASE_ENV = [
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  `SSL_CERT_FILE=/${CA_BUNDLE_PATH}`,
];

const PASSWD = [
  "root:x:0:0:root:/root:/sbin/nologin",
  "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin",
  "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin",
  "",
].join("\n");
const GROUP = ["root:x:0:", "nobody:x:65534:", "nonroot:x:65532:", ""].join("\n");

/** A bundle bigger than this is not a CA bundle (Mozilla's is ~220 KB). */
const MAX_BUNDLE = 16 * 1024 * 1024;

/**
 * Reads and checks the CA bundle at `file`. One-line {@link CnbError} naming the file and
 * `--ca-bundle` when it is missing, too big, or holds no PEM certificate.
 */
export async function readCaBundle(file: string): Promise<Buffer> {
  const st = await stat(file).catch(() => undefined);
  const hint = "pass --ca-bundle <file.pem> with the CA certificates the lifecycle should trust";
  if (!st?.isFile()) throw new CnbError(`--ca-bundle ${file}: no such file`, { hint });
  if (st.size > MAX_BUNDLE) throw new CnbError(`--ca-bundle ${file}: larger than 16 MiB, not a CA bundle`, { hint });
  const bytes = await readFile(file);
  if (!bytes.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CnbError(`--ca-bundle ${file}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, { hint });
  }
  return bytes;
}

/**
 * The base layer's entries, with `caBundle` as /etc/ssl/certs/ca-certificates.crt.
 *
 * @example
 * await writeLayer(baseEntries(await readCaBundle("/etc/ssl/certs/ca-certificates.crt")), layout.blobDir);
 */
export function baseEntries(caBundle: Buffer): LayerEntry[] {
  const file = (path: string, data: string | Buffer): LayerEntry => ({
    type: "file",
    path,
    size: Buffer.byteLength(data),
    data,
    mode: 0o644,
  });
  return [
    { type: "dir", path: "etc", mode: 0o755 },
    file("etc/passwd", PASSWD),
    file("etc/group", GROUP),
    file("etc/nsswitch.conf", "hosts: files dns\n"),
    file(CA_BUNDLE_PATH, caBundle),
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "root", mode: 0o700 },
    { type: "dir", path: "home/nonroot", mode: 0o700, uid: 65532, gid: 65532 },
  ];
}
