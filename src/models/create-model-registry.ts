import type { ProviderConfig, StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import type { Logger } from "../logging/create-logger.ts";
import type {
  Capability,
  ChatModel,
  EmbeddingModel,
  ImageModel,
  ModelInfo,
  Provider,
  SpeechModel,
  TranscriptionModel,
  VisionModel,
} from "../providers/spec/index.ts";
import type { GatewayMetrics } from "../system/metrics/create-gateway-metrics.ts";
import { createResilientChatModel } from "./create-resilient-chat-model.ts";
import { createResilientSpeechModel } from "./create-resilient-speech-model.ts";
import { createResilientVisionModel } from "./create-resilient-vision-model.ts";
import type { ModelRegistry, ProviderStatus } from "./model-registry.ts";
import type { ModelTarget } from "./resilience/model-target.ts";
import { Resilience, type ResilienceSettings } from "./resilience/resilience.ts";
import { streamWithResilience } from "./resilience/stream-with-resilience.ts";
import { withResilience } from "./resilience/with-resilience.ts";
import { Route } from "./routing/route.ts";
import { splitModelId } from "./split-model-id.ts";

export interface ModelRegistryOptions {
  providers: Provider[];
  logger: Logger;
  /** Routes, per-provider retry/cooldown/refresh settings and configured models. */
  config?: Pick<StationConfig, "providers" | "routes">;
  metrics?: GatewayMetrics;
  /** Injected into the resilience layer (tests make time and jitter deterministic). */
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface DiscoveryState {
  ok: boolean;
  error?: string;
  at: number;
  models: ModelInfo[];
}

const defaultSettings: ResilienceSettings = {
  retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 5000, deadlineMs: 120_000 },
  cooldown: { failureRate: 0.5, minimumCalls: 5, windowMs: 60_000, cooldownMs: 5000 },
};
/** On-demand refreshes of one provider are at most this frequent (a typo must not hammer it). */
const onDemandRefreshMs = 2000;

/** Discovers models from every provider, resolves ids and routes, and wraps every call in the resilience layer. */
export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const { logger } = options;
  const providersById = new Map(options.providers.map((provider) => [provider.id, provider]));
  const providerConfigs = new Map<string, ProviderConfig>((options.config?.providers ?? []).map((config) => [config.id, config]));
  const discovery = new Map<string, DiscoveryState>();
  const lastOnDemand = new Map<string, number>();
  const timers: NodeJS.Timeout[] = [];
  let models = new Map<string, ModelInfo>();
  let modelsByName = new Map<string, string[]>();
  /**
   * Each listed model's one target, made once per rebuild (every request resolves its model): frozen,
   * so no caller can change what the next one gets. Unlisted names are never cached (a typo must not grow it).
   */
  let listedTargets = new Map<string, readonly ModelTarget[]>();
  const now = options.now ?? Date.now;

  const resilience = new Resilience({
    settingsFor: (providerId) => {
      const config = providerConfigs.get(providerId);
      return config === undefined ? defaultSettings : { retry: config.retry, cooldown: config.cooldown };
    },
    metrics: options.metrics,
    now,
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });

  const routes = new Map<string, Route>();
  for (const routeConfig of options.config?.routes ?? []) {
    const valid = routeConfig.targets.filter((target) => {
      const modelId = typeof target === "string" ? target : target.model;
      const parts = splitModelId(modelId);
      if (parts !== undefined && providersById.has(parts.providerId)) return true;
      logger.warn({ route: routeConfig.model, target: modelId }, "route target names no configured provider: skipped");
      return false;
    });
    if (valid.length > 0) routes.set(routeConfig.model, new Route({ ...routeConfig, targets: valid }));
  }

  const targetFor = (id: string): ModelTarget | undefined => {
    const parts = splitModelId(id);
    const provider = parts === undefined ? undefined : providersById.get(parts.providerId);
    if (parts === undefined || provider === undefined) return undefined;
    return { id, provider, modelName: parts.modelName };
  };

  /** A bare name ("qwen2.5-7b") that exactly one provider has. */
  const bareName = (name: string): string | undefined => {
    const ids = modelsByName.get(name);
    return ids?.length === 1 ? ids[0] : undefined;
  };

  const targetsFor = (id: string): readonly ModelTarget[] => {
    const route = routes.get(id);
    if (route !== undefined) {
      const resolved = route.targets.map((target) => targetFor(target.modelId)).filter((target) => target !== undefined);
      return route.order(resolved, (targetId) => resilience.inFlight(targetId));
    }
    const cached = listedTargets.get(id);
    if (cached !== undefined) return cached;
    const target = targetFor(id) ?? targetFor(bareName(id) ?? "");
    if (target === undefined) throw errors.modelNotFound(id);
    const targets = Object.freeze([target]);
    if (models.has(id) || bareName(id) !== undefined) listedTargets.set(id, targets);
    return targets;
  };

  /** A route, a listed id or a bare name that exactly one provider lists (builds nothing). */
  const knows = (id: string): boolean => routes.has(id) || models.has(id) || bareName(id) !== undefined;

  const routeInfo = (route: Route): ModelInfo => {
    const infos = route.targets.map((target) => models.get(target.modelId));
    const known = infos.filter((info) => info !== undefined);
    const capabilities =
      known.length === 0 ? [] : (known[0]?.capabilities ?? []).filter((c) => known.every((info) => info.capabilities.includes(c)));
    const contexts = known.map((info) => info.contextLength).filter((length) => length !== undefined);
    return {
      id: route.name,
      providerId: "route",
      name: route.name,
      capabilities: capabilities as Capability[],
      state: "available",
      ...(contexts.length === 0 ? {} : { contextLength: Math.min(...contexts) }),
      metadata: { strategy: route.strategy, targets: route.targets.map((target) => ({ model: target.modelId, weight: target.weight })) },
    };
  };

  const configuredModels = (providerId: string): ModelInfo[] =>
    (providerConfigs.get(providerId)?.models ?? []).map((model) => ({
      id: `${providerId}/${model.name}`,
      providerId,
      name: model.name,
      capabilities: model.capabilities ?? ["chat"],
      state: "available",
      ...(model.contextLength === undefined ? {} : { contextLength: model.contextLength }),
    }));

  const rebuild = (): void => {
    const next = new Map<string, ModelInfo>();
    for (const provider of providersById.values()) {
      for (const info of discovery.get(provider.id)?.models ?? []) next.set(info.id, info);
      for (const info of configuredModels(provider.id)) {
        const discovered = next.get(info.id);
        // Configuration wins over discovery: it is how users correct a wrong guess.
        next.set(info.id, discovered === undefined ? info : { ...discovered, ...info, state: discovered.state ?? "available" });
      }
    }
    const byName = new Map<string, string[]>();
    for (const info of next.values()) byName.set(info.name, [...(byName.get(info.name) ?? []), info.id]);
    models = next;
    modelsByName = byName;
    listedTargets = new Map();
  };

  const refreshProvider = async (provider: Provider): Promise<void> => {
    try {
      const listed = await provider.listModels();
      discovery.set(provider.id, { ok: true, at: now(), models: listed });
    } catch (error) {
      const previous = discovery.get(provider.id);
      discovery.set(provider.id, { ok: false, error: (error as Error).message, at: now(), models: previous?.models ?? [] });
      logger.warn({ provider: provider.id, err: error }, "model discovery failed");
    }
  };

  const require = <T>(id: string, pick: (target: ModelTarget) => T | undefined, what: string): T => {
    const [target] = targetsFor(id);
    const model = target === undefined ? undefined : pick(target);
    if (model === undefined) throw errors.unsupported(`The model '${id}' cannot ${what}`, "model");
    return model;
  };

  const registry: ModelRegistry = {
    list: () => [...models.values(), ...[...routes.values()].map(routeInfo)],
    get: (id) => {
      const route = routes.get(id);
      return route === undefined ? models.get(id) : routeInfo(route);
    },
    providers: () => [...providersById.values()],
    provider: (id) => providersById.get(id),
    knows,
    async refresh(providerId) {
      const targets =
        providerId === undefined ? [...providersById.values()] : [providersById.get(providerId)].filter((p) => p !== undefined);
      await Promise.all(targets.map(refreshProvider));
      rebuild();
    },
    lookup(id) {
      const canonical = routes.has(id) || models.has(id) ? id : bareName(id);
      if (canonical === undefined) return undefined;
      return { id, info: registry.get(canonical), targets: targetsFor(canonical) };
    },
    async resolve(id) {
      const known = registry.lookup(id);
      if (known !== undefined) return known;
      if (!knows(id)) {
        const parts = splitModelId(id);
        const provider = parts === undefined ? undefined : providersById.get(parts.providerId);
        const due = provider !== undefined && now() - (lastOnDemand.get(provider.id) ?? 0) >= onDemandRefreshMs;
        if (provider !== undefined && due) {
          lastOnDemand.set(provider.id, now());
          await registry.refresh(provider.id);
        }
        // A provider that lists nothing (or could not be listed) may still serve the name: let it try.
        const state = provider === undefined ? undefined : discovery.get(provider.id);
        const listsModels = state?.ok === true && (state.models.length > 0 || configuredModels(provider?.id ?? "").length > 0);
        if (provider === undefined || (listsModels && !models.has(id))) throw errors.modelNotFound(id);
      }
      const canonical = routes.has(id) || models.has(id) ? id : (bareName(id) ?? id);
      return { id, info: registry.get(canonical), targets: targetsFor(canonical) };
    },
    call: (targets, attempt, callOptions) => resilience.call(targets, attempt, callOptions),
    chatModel(id): ChatModel {
      const targets = targetsFor(id);
      if (targets.some((target) => target.provider.chatModel === undefined))
        throw errors.unsupported(`The model '${id}' cannot chat`, "model");
      return createResilientChatModel(id, () => targetsFor(id), resilience);
    },
    embeddingModel(id): EmbeddingModel {
      require(id, (target) => target.provider.embeddingModel, "make embeddings");
      return {
        id,
        embed: (request) =>
          withResilience(
            resilience,
            targetsFor(id),
            (target, signal) => {
              const model = target.provider.embeddingModel?.(target.modelName);
              if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot make embeddings`, "model");
              return model.embed({ ...request, model: target.modelName, signal });
            },
            { operation: "embeddings", signal: request.signal },
          ),
      };
    },
    visionModel(id): VisionModel | undefined {
      const visionTargets = (): ModelTarget[] => targetsFor(id).filter((target) => target.provider.visionModel !== undefined);
      return createResilientVisionModel(id, visionTargets, resilience);
    },
    imageModel(id): ImageModel {
      require(id, (target) => target.provider.imageModel, "generate images");
      return {
        id,
        generate: (request) =>
          withResilience(
            resilience,
            targetsFor(id),
            (target, signal) => {
              const model = target.provider.imageModel?.(target.modelName);
              if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot generate images`, "model");
              return model.generate({ ...request, model: target.modelName, signal });
            },
            { operation: "images", signal: request.signal },
          ),
      };
    },
    transcriptionModel(id): TranscriptionModel {
      require(id, (target) => target.provider.transcriptionModel, "transcribe audio");
      return {
        id,
        async transcribe(request) {
          const delivered = await resilience.call(
            targetsFor(id),
            (target, _remainingMs, call) => {
              const model = target.provider.transcriptionModel?.(target.modelName);
              if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot transcribe audio`, "model");
              return model.transcribe({ ...request, model: target.modelName, signal: call.signal });
            },
            { operation: request.task === "translate" ? "translations" : "transcriptions", signal: request.signal },
          );
          delivered.done();
          return delivered.value;
        },
        transcribeStream(request) {
          const targets = targetsFor(id);
          const models = targets.map((target) => target.provider.transcriptionModel?.(target.modelName));
          if (models.some((model) => model?.transcribeStream === undefined))
            throw errors.unsupported(`The model '${id}' cannot stream its transcript: leave out 'stream'`, "stream");
          return streamWithResilience(
            resilience,
            targets,
            (target, signal) => {
              const model = target.provider.transcriptionModel?.(target.modelName);
              if (model?.transcribeStream === undefined)
                throw errors.unsupported(`The model '${target.id}' cannot stream its transcript: leave out 'stream'`, "stream");
              return model.transcribeStream({ ...request, model: target.modelName, signal });
            },
            { operation: "transcriptions", signal: request.signal },
          );
        },
      };
    },
    speechModel(id): SpeechModel {
      require(id, (target) => target.provider.speechModel, "speak");
      return createResilientSpeechModel(id, () => targetsFor(id), resilience);
    },
    providerStatus(): ProviderStatus[] {
      return [...providersById.values()].map((provider) => {
        const state = discovery.get(provider.id);
        const breakers = resilience.breakerStates(provider.id);
        const open = breakers.filter((breaker) => breaker.state !== "closed");
        let status: ProviderStatus["status"] = "ok";
        let detail: string | undefined;
        if (state !== undefined && !state.ok) {
          status = "down";
          detail = `model discovery failed: ${state.error}`;
        }
        if (open.length > 0) {
          status = open.length === breakers.length ? "down" : "degraded";
          detail = `cooling down: ${open.map((breaker) => breaker.targetId).join(", ")}`;
        }
        return {
          id: provider.id,
          type: provider.type,
          status,
          models: state?.models.length ?? 0,
          ...(detail === undefined ? {} : { detail }),
        };
      });
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all([...providersById.values()].map((provider) => provider.close?.()));
    },
  };

  for (const provider of providersById.values()) {
    const interval = providerConfigs.get(provider.id)?.refreshIntervalMs ?? 0;
    if (interval > 0) {
      const timer = setInterval(() => void registry.refresh(provider.id), interval);
      timer.unref();
      timers.push(timer);
    }
  }
  return registry;
}
