import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { describe, expect, test } from "vitest";
import { parsePemCertificates } from "./pem.js";

const corp = readFileSync(new URL("../testdata/corp-ca.pem", import.meta.url), "utf8");
const proxy = readFileSync(new URL("../testdata/proxy-ca.pem", import.meta.url), "utf8");

describe("parsePemCertificates", () => {
  test("returns every certificate of a bundle, normalised, skipping other text", () => {
    const text = `# Acme roots\r\n${corp.replace(/\n/g, "\r\n")}\nsome comment\n${proxy}`;
    const certs = parsePemCertificates(text, "corp.pem");
    expect(certs).toHaveLength(2);
    expect(new X509Certificate(certs[0]!).subject).toContain("Acme Corp Test Root CA");
    expect(new X509Certificate(certs[1]!).subject).toContain("Acme Proxy CA");
    expect(certs[0]!.endsWith("-----END CERTIFICATE-----\n")).toBe(true);
  });
  test("a file without a certificate is one line naming the file, not its contents", () => {
    const secret = "hunter2-not-a-cert";
    const err = (() => {
      try {
        parsePemCertificates(secret, 'binding "corp" file ca.pem');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBe(
      'binding "corp" file ca.pem is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)',
    );
    expect(err?.message).not.toContain(secret);
  });
  test("a corrupted certificate block is refused with its position", () => {
    const broken = corp.replace(/\n[A-Za-z0-9+/]{20}/, "\nAAAAAAAAAAAAAAAAAAAA");
    expect(() => parsePemCertificates(`${proxy}${broken}`, "ca.pem")).toThrow(
      "ca.pem: certificate 2 is not a valid X.509 certificate",
    );
  });
  test("a private key is refused", () => {
    const key =
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
    expect(() => parsePemCertificates(`${corp}${key}`, "ca.pem")).toThrow(/ca.pem contains a private key/);
  });
});
