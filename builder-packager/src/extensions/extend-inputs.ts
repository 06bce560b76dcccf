/**
 * What `cnbkit base extend` is asked ({@link ExtendOptions}), checked before anything is
 * unpacked or written: Debian package names, `K=V` pairs, CA certificates read and parsed,
 * files to copy. Bad input is one line naming the flag.
 */
import { X509Certificate } from "node:crypto";
import { lstat, readFile } from "node:fs/promises";
import { posix } from "node:path";
import { CnbError } from "@cnbkit/framework";

/** What to add to an image. */
export interface ExtendOptions {
  /** The image to extend: `oci:<dir>[:tag]` or a registry reference. */
  image: string;
  /** Where the extended image goes: `oci:<dir>[:tag]` or a registry reference. */
  output: string;
  /** Debian packages to install with apt-get (--no-install-recommends). */
  apt?: string[];
  /** PEM files of CA certificates to add to the system trust store. */
  caCerts?: string[];
  /** `K=V` pairs for the image's Env (a K already there is replaced). */
  env?: string[];
  /** `K=V` pairs added to the image's labels. */
  labels?: string[];
  /** `SRC:DEST` pairs: a host file or directory copied to the absolute DEST, owned by root. */
  copies?: string[];
  /** Progress lines. */
  onProgress?: (line: string) => void;
}

const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(?:=[A-Za-z0-9.+~:-]+)?$/;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits `K=V`, with a one-line error naming the flag when it is not one. */
function keyValue(pair: string, flag: string, name: RegExp | undefined): [string, string] {
  const eq = pair.indexOf("=");
  const key = eq > 0 ? pair.slice(0, eq) : "";
  if (!key || (name && !name.test(key))) {
    throw new CnbError(`${flag} "${pair}" is not KEY=VALUE${name ? " with KEY a variable name" : ""}`);
  }
  return [key, pair.slice(eq + 1)];
}

/** Reads and checks each CA certificate before anything is unpacked or written. */
async function readCaCerts(files: string[]): Promise<{ file: string; pem: string; subject: string; sha256: string }[]> {
  const out = [];
  for (const file of files) {
    const pem = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new CnbError(`--ca-cert ${file}: cannot read it (${e.code ?? e.message})`, {
        hint: "give the path of a PEM file with one or more CA certificates",
      });
    });
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) {
      throw new CnbError(`--ca-cert ${file}: no PEM certificate in it (no -----BEGIN CERTIFICATE----- block)`, {
        hint: "convert a DER certificate with: openssl x509 -inform der -in cert.der -out cert.pem",
      });
    }
    let first: X509Certificate | undefined;
    for (const block of blocks) {
      try {
        first ??= new X509Certificate(block);
        if (!first.ca) throw new Error("not a CA certificate (basicConstraints CA:FALSE)");
      } catch (e) {
        throw new CnbError(`--ca-cert ${file}: ${(e as Error).message}`, {
          hint: "give the PEM of the CA that issues your servers' certificates, not a server certificate",
        });
      }
    }
    out.push({
      file,
      pem: `${blocks.join("\n")}\n`,
      subject: first?.subject ?? "",
      sha256: first?.fingerprint256 ?? "",
    });
  }
  return out;
}

/** Checks `--copy SRC:DEST` pairs: the source exists, the destination is absolute. */
async function checkCopies(copies: string[]): Promise<{ src: string; dest: string }[]> {
  const out = [];
  for (const pair of copies) {
    const colon = pair.lastIndexOf(":");
    const src = colon > 0 ? pair.slice(0, colon) : "";
    const dest = colon > 0 ? pair.slice(colon + 1) : "";
    if (!src || !dest.startsWith("/")) {
      throw new CnbError(`--copy "${pair}" is not SRC:DEST with DEST an absolute path in the image`);
    }
    await lstat(src).catch(() => {
      throw new CnbError(`--copy ${src}: no such file or directory on this machine`, {
        hint: "paths are relative to the directory cnbkit runs in",
      });
    });
    if (posix.normalize(dest).split("/").includes(".."))
      throw new CnbError(`--copy "${pair}": DEST may not contain ..`);
    out.push({ src, dest: posix.normalize(dest) });
  }
  return out;
}

/** The checked inputs of one extend step. */
export interface Inputs {
  apt: string[];
  env: [string, string][];
  labels: [string, string][];
  certs: Awaited<ReturnType<typeof readCaCerts>>;
  copies: { src: string; dest: string }[];
}

/** Checks every flag before anything is unpacked or written: bad input gets one line. */
export async function checkInputs(opts: ExtendOptions): Promise<Inputs> {
  const apt = opts.apt ?? [];
  for (const p of apt) {
    if (!DEBIAN_PACKAGE.test(p)) throw new CnbError(`--apt "${p}" is not a Debian package name (name or name=version)`);
  }
  const inputs: Inputs = {
    apt,
    env: (opts.env ?? []).map((e) => keyValue(e, "--env", ENV_NAME)),
    labels: (opts.labels ?? []).map((l) => keyValue(l, "--label", undefined)),
    certs: await readCaCerts(opts.caCerts ?? []),
    copies: await checkCopies(opts.copies ?? []),
  };
  const { env, labels, certs, copies } = inputs;
  if (apt.length + certs.length + copies.length + env.length + labels.length === 0) {
    throw new CnbError("base extend: nothing to add", { hint: "give --apt, --ca-cert, --copy, --env or --label" });
  }
  if (process.getuid?.() !== 0) {
    throw new CnbError("base extend runs apt-get as root inside the image and needs root here (overlayfs, runc)");
  }
  return inputs;
}
