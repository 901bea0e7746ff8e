import type { FastifyInstance } from "fastify";
import { errors } from "../../errors/errors.ts";
import { createApiKeyCheck, presentedKey } from "./api-key-check.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route serves nothing secret (the web UI's static shell): no API key needed. */
    openWithoutApiKey?: boolean;
  }
}

/** Routes anyone may call even when API keys are configured. */
const openPaths = new Set(["/health"]);

/** With API keys configured, every route but /health needs one (SPEC §9). */
export function registerAuth(app: FastifyInstance, apiKeys: readonly string[]): void {
  if (apiKeys.length === 0) return;
  const isValid = createApiKeyCheck(apiKeys);
  app.addHook("onRequest", async (request) => {
    const path = request.url.split("?", 1)[0] ?? "";
    if (openPaths.has(path) || request.routeOptions.config.openWithoutApiKey === true) return;
    if (!isValid(presentedKey(request.headers))) throw errors.unauthorized();
  });
}
