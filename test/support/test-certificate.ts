import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeSelfSignedCertificate } from "../../src/cli/write-self-signed-certificate.ts";

/** A self-signed pair in a temp dir, as `station cert` writes it; `remove()` deletes it. */
export function makeTestCertificate(): { cert: string; key: string; ca: Buffer; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "station-tls-"));
  const { cert, key } = writeSelfSignedCertificate({ dir, hosts: [], days: 2 });
  return { cert, key, ca: readFileSync(cert), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
