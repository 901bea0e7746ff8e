import { readFileSync } from "node:fs";
import { ConfigError } from "../../config/config-error.ts";

/** Reads server.tls's PEM files; a missing or unreadable one stops start-up with a message naming it. */
export function readTlsFiles(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, key: string) => {
    let text: Buffer;
    try {
      text = readFileSync(file);
    } catch (error) {
      throw new ConfigError(
        `server.tls.${key}: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    if (!text.includes("-----BEGIN ")) throw new ConfigError(`server.tls.${key}: '${file}' is not a PEM file`);
    return text;
  };
  return { cert: read(tls.cert, "cert"), key: read(tls.key, "key") };
}
