import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "../logging/create-logger.ts";

/**
 * The Standard Webhooks signing secret: `webhooks.secret` from the config, else one generated
 * on first start and kept in `<dataDir>/webhook-secret` (mode 0600) so receivers can verify
 * across restarts. The secret itself is never logged, only where it lives.
 */
export function loadWebhookSecret(configured: string | undefined, dataDir: string, logger: Logger): string {
  if (configured !== undefined && configured.length > 0) return configured;
  const file = path.resolve(dataDir, "webhook-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  logger.info(
    { file },
    "generated a webhook signing secret (set webhooks.secret to use your own); receivers verify with the secret in this file",
  );
  return secret;
}
