import type { ModelOnDisk } from "./residency/create-inspection-cache.ts";
import type { Capability, ModelInfo } from "./spec/provider.ts";

export type LocalModelListing =
  | { capabilities: Capability[]; contextLength?: number; metadata?: Record<string, unknown> }
  /** Listed with the reason, so a request for it gets that reason (422 model_invalid) rather than a bare 404. */
  | { error: string; metadata?: Record<string, unknown> };

/** How an in-process engine lists a model it found on disk (path and size always, state from the residency). */
export function listLocalModel(providerId: string, model: ModelOnDisk, loaded: ReadonlySet<string>, listing: LocalModelListing): ModelInfo {
  const base = { id: `${providerId}/${model.name}`, providerId, name: model.name };
  const metadata = { path: model.path, sizeBytes: model.sizeBytes, ...listing.metadata };
  if ("error" in listing) return { ...base, capabilities: [], state: "not-loaded", metadata: { ...metadata, error: listing.error } };
  return {
    ...base,
    capabilities: listing.capabilities,
    ...(listing.contextLength === undefined ? {} : { contextLength: listing.contextLength }),
    state: loaded.has(model.name) ? "loaded" : "not-loaded",
    metadata,
  };
}
