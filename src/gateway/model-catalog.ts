import type { ModelRegistry } from "../models/model-registry.ts";
import type { Capability, ModelInfo } from "../providers/spec/index.ts";

export interface ModelFilter {
  provider?: string | undefined;
  capability?: Capability | undefined;
  /** Case-insensitive substring of the id. */
  search?: string | undefined;
  minContext?: number | undefined;
  state?: string | undefined;
}

/** The stable order clients see: routes first (they are what users configured), then by id. */
export function sortedModels(registry: ModelRegistry): ModelInfo[] {
  return [...registry.list()].sort(
    (a, b) => Number(b.providerId === "route") - Number(a.providerId === "route") || a.id.localeCompare(b.id),
  );
}

export function filterModels(models: ModelInfo[], filter: ModelFilter): ModelInfo[] {
  const search = filter.search?.toLowerCase();
  return models.filter(
    (model) =>
      (filter.provider === undefined || model.providerId === filter.provider) &&
      (filter.capability === undefined || model.capabilities.includes(filter.capability)) &&
      (search === undefined || model.id.toLowerCase().includes(search)) &&
      (filter.minContext === undefined || (model.contextLength ?? 0) >= filter.minContext) &&
      (filter.state === undefined || model.state === filter.state),
  );
}

/**
 * OpenAI's model object. `created` is unknown for discovered models: Station's start time stands in.
 * `capabilities` is Station's addition (OpenAI clients ignore fields they do not know), so a client
 * of `/v1/models` alone can tell a vision model that detects and points from one that only sees.
 */
export function toOpenAiModel(model: ModelInfo, created: number): Record<string, unknown> {
  return { id: model.id, object: "model", created, owned_by: model.providerId, capabilities: model.capabilities };
}

const contextBuckets: { label: string; min: number; max: number | null }[] = [
  { label: "< 8K", min: 0, max: 8191 },
  { label: "8K–32K", min: 8192, max: 32_767 },
  { label: "32K–128K", min: 32_768, max: 131_071 },
  { label: "≥ 128K", min: 131_072, max: null },
];

/** Facets for a model picker: providers, capabilities, context-length ranges, states. */
export function modelFacets(registry: ModelRegistry): Record<string, unknown> {
  const models = registry.list();
  const count = <K extends string>(keys: K[]): { value: K; count: number }[] => {
    const counts = new Map<K, number>();
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    return [...counts.entries()].map(([value, n]) => ({ value, count: n })).sort((a, b) => a.value.localeCompare(b.value));
  };
  const statuses = new Map(registry.providerStatus().map((status) => [status.id, status]));
  const contexts = models.map((model) => model.contextLength).filter((length) => length !== undefined);
  return {
    total: models.length,
    providers: count(models.map((model) => model.providerId)).map(({ value, count: n }) => ({
      id: value,
      type: statuses.get(value)?.type ?? (value === "route" ? "route" : "unknown"),
      status: statuses.get(value)?.status ?? "ok",
      count: n,
    })),
    capabilities: count(models.flatMap((model) => model.capabilities)).map(({ value, count: n }) => ({ name: value, count: n })),
    states: count(models.map((model) => model.state ?? "available")).map(({ value, count: n }) => ({ name: value, count: n })),
    contextLength: {
      min: contexts.length === 0 ? null : Math.min(...contexts),
      max: contexts.length === 0 ? null : Math.max(...contexts),
      unknown: models.length - contexts.length,
      ranges: contextBuckets.map((bucket) => ({
        ...bucket,
        count: contexts.filter((length) => length >= bucket.min && (bucket.max === null || length <= bucket.max)).length,
      })),
    },
  };
}
