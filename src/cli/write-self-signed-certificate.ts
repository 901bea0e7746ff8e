import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";

export interface CertificateOptions {
  dir: string;
  /** Host names and IP addresses the certificate is for (localhost and the loopback addresses always). */
  hosts: string[];
  days: number;
}

/**
 * A self-signed certificate and its key (PEM) made by the openssl CLI: no library for X.509 is
 * installed and Node's crypto cannot sign certificates. ECDSA P-256, subjectAltName for every
 * host (browsers ignore the CN), serverAuth usage.
 */
export function writeSelfSignedCertificate(options: CertificateOptions): { cert: string; key: string } {
  mkdirSync(options.dir, { recursive: true });
  const cert = path.join(options.dir, "station-cert.pem");
  const key = path.join(options.dir, "station-key.pem");
  const names = [...new Set(["localhost", "127.0.0.1", "::1", ...options.hosts])];
  const altNames = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(",");
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        String(options.days),
        "-subj",
        "/CN=Station local certificate",
        "-addext",
        `subjectAltName=${altNames}`,
        "-addext",
        "extendedKeyUsage=serverAuth",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "openssl is not installed"
        : String((error as { stderr?: Buffer }).stderr ?? error);
    throw new Error(`could not make a certificate: ${reason}`);
  }
  chmodSync(key, 0o600);
  return { cert, key };
}
