import type { ProviderConfig, StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { Provider } from "./spec/index.ts";

export interface ProviderContext {
  config: StationConfig;
  logger: Logger;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Builds the adapter for one `providers:` entry. */
export function createProvider(providerConfig: ProviderConfig, _context: ProviderContext): Provider {
  switch (providerConfig.type) {
    default:
      throw new Error(`provider type '${providerConfig.type}' (id '${providerConfig.id}') is not implemented yet`);
  }
}
