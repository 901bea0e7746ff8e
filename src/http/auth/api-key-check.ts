import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Constant-time API key check. Keys are hashed first so comparisons never depend on
 * the length or content of the configured keys.
 */
export function createApiKeyCheck(apiKeys: readonly string[]): (presented: string | undefined) => boolean {
  const digests = apiKeys.map((key) => digest(key));
  return (presented) => {
    if (presented === undefined || presented.length === 0) return false;
    const candidate = digest(presented);
    let matched = false;
    for (const known of digests) matched = timingSafeEqual(known, candidate) || matched;
    return matched;
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The key a request presents: `Authorization: Bearer`, or Moondream's `X-Moondream-Auth`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match?.[1] !== undefined) return match[1].trim();
  }
  const moondream = headers["x-moondream-auth"];
  if (typeof moondream === "string" && moondream.length > 0) return moondream.trim();
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey.length > 0) return apiKey.trim();
  // Browsers cannot set headers on a WebSocket: they offer the key as a subprotocol.
  const protocols = headers["sec-websocket-protocol"];
  if (typeof protocols === "string") {
    for (const protocol of protocols.split(",")) {
      // OpenAI's browser Realtime clients send `openai-insecure-api-key.<key>` beside `realtime`.
      const match = /^(?:bearer|openai-insecure-api-key)\.(.+)$/i.exec(protocol.trim());
      if (match?.[1] !== undefined) return match[1];
    }
  }
  return undefined;
}
