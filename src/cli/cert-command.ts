import path from "node:path";
import { type ConfigFlags, loadConfig } from "../config/load-config.ts";
import { writeSelfSignedCertificate } from "./write-self-signed-certificate.ts";

export interface CertFlags extends ConfigFlags {
  dir?: string;
  host?: string;
  hosts?: string[];
  days?: string;
}

/** `station cert`: writes a self-signed pair for local HTTPS/WSS and prints how to use and trust it. */
export async function certCommand(flags: CertFlags): Promise<void> {
  const { config } = loadConfig(flags);
  const dir = flags.dir ?? path.join(config.dataDir, "tls");
  const days = Number(flags.days ?? 825);
  if (!Number.isInteger(days) || days < 1) throw new Error("--days takes a whole number of days");
  const hosts = [...(flags.hosts ?? []), config.server.host].filter((host) => host !== "0.0.0.0" && host !== "::");
  const { cert, key } = writeSelfSignedCertificate({ dir, hosts, days });
  process.stdout.write(
    [
      `Wrote ${cert}`,
      `  and ${key} (private key, mode 600)`,
      "",
      "Serve HTTPS and WSS with it (station.yaml):",
      "  server:",
      "    tls:",
      `      cert: ${cert}`,
      `      key: ${key}`,
      "",
      "Trust it:",
      `  Node clients (openai, ws):  NODE_EXTRA_CA_CERTS=${cert}`,
      `  curl:                       curl --cacert ${cert} https://localhost:${config.server.port}/health`,
      `  Debian/Ubuntu system store: sudo cp ${cert} /usr/local/share/ca-certificates/station.crt && sudo update-ca-certificates`,
      `  macOS:                      sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${cert}`,
      "  Chrome/Firefox:             import it under Settings → Privacy and security → Certificates (Authorities)",
      "",
    ].join("\n"),
  );
}
