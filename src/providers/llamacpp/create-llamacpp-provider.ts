import type { Llama } from "node-llama-cpp";
import type { ProviderConfig, StationConfig } from "../../config/schema.ts";
import { errors } from "../../errors/errors.ts";
import type { StationError } from "../../errors/station-error.ts";
import type { Logger } from "../../logging/create-logger.ts";
import { listLocalModel } from "../list-local-model.ts";
import { createInspectionCache } from "../residency/create-inspection-cache.ts";
import { defaultThreadCount } from "../residency/default-thread-count.ts";
import { engineModelsDirectories, engineResidency } from "../residency/engine-residency.ts";
import type { ModelResidency, ResidencyHandle, Resident } from "../residency/model-residency.ts";
import { createResidencyControls } from "../residency/residency-controls.ts";
import type { Scheduler } from "../residency/scheduler.ts";
import type { Capability, ChatModel, EmbeddingModel, ModelInfo, Provider, RunningModel } from "../spec/index.ts";
import { findGgufFiles, type GgufFile } from "./find-gguf-files.ts";
import { type GgufSummary, inspectGgufFile } from "./inspect-gguf-file.ts";
import { createLlamaCppChatModel } from "./llamacpp-chat-model.ts";
import { createLlamaCppEmbeddingModel } from "./llamacpp-embedding-model.ts";
import { type LlamaResident, loadLlamaModel } from "./load-llama-model.ts";
import { sharedLlama } from "./shared-llama.ts";

export type LlamaCppProviderConfig = Extract<ProviderConfig, { type: "llamacpp" }>;

export interface LlamaCppProviderOptions {
  config: StationConfig;
  logger: Logger;
  /** Keep-alive clock; tests inject a manual one. */
  scheduler?: Scheduler;
  /** The llama.cpp runtime; defaults to the process-wide prebuilt one. */
  llama?: () => Promise<Llama>;
  /** The Station-wide residency shared with the other in-process engines; without it, one of its own. */
  residency?: ModelResidency<Resident>;
}

export interface LlamaCppProvider extends Provider {
  /** Directories scanned for *.gguf, in priority order. */
  readonly modelsDirectories: string[];
  /** GGUF files that were found but cannot be served, with the reason. */
  invalidModels(): Promise<{ name: string; path: string; error: string }[]>;
  runningModels(): RunningModel[];
  chatModel(modelName: string): ChatModel;
  embeddingModel(modelName: string): EmbeddingModel;
  loadModel(modelName: string, options?: { keepAliveMs?: number }): Promise<void>;
  unloadModel(modelName: string): Promise<void>;
  close(): Promise<void>;
}

/** Where `bin/station pull` puts models and where discovery looks first. */
export function llamaCppModelsDirectories(providerConfig: LlamaCppProviderConfig, config: StationConfig): string[] {
  return engineModelsDirectories(providerConfig.modelsDir, config.dataDir);
}

/** The `llamacpp` provider: every *.gguf in the models directories, run in-process by node-llama-cpp. */
export function createLlamaCppProvider(providerConfig: LlamaCppProviderConfig, options: LlamaCppProviderOptions): LlamaCppProvider {
  const { logger } = options;
  const directories = llamaCppModelsDirectories(providerConfig, options.config);
  const threads = providerConfig.threads > 0 ? providerConfig.threads : defaultThreadCount();
  const getLlama = options.llama ?? (() => sharedLlama(logger));
  const residency = engineResidency<LlamaResident>(providerConfig, options);
  const inspections = createInspectionCache(
    (file: GgufFile) => inspectGgufFile(file.name, file.path),
    (file, result) => {
      if (!result.ok) logger.warn({ model: `${providerConfig.id}/${file.name}`, reason: result.error.message }, "GGUF file skipped");
    },
  );
  const inspect = (file: GgufFile) => inspections.inspect(file);

  /** Finds and validates a model file, or throws the clear reason it cannot be served. */
  const resolveModel = async (name: string): Promise<{ file: GgufFile; summary: GgufSummary }> => {
    const file = (await findGgufFiles(directories)).find((candidate) => candidate.name === name);
    if (file === undefined) throw errors.modelNotFound(`${providerConfig.id}/${name}`);
    const inspection = await inspect(file);
    if (!inspection.ok) throw inspection.error as StationError;
    return { file, summary: inspection.summary };
  };

  const prepare = (name: string) => async () => {
    const { file, summary } = await resolveModel(name);
    return { estimatedBytes: summary.sizeBytes, load: () => load(name, file) };
  };

  const acquire = (name: string): Promise<ResidencyHandle<LlamaResident>> => residency.acquire(name, prepare(name));

  const load = async (name: string, file: GgufFile): Promise<LlamaResident> => {
    const llama = await getLlama();
    try {
      return await loadLlamaModel({
        llama,
        modelId: `${providerConfig.id}/${name}`,
        filePath: file.path,
        contextSize: providerConfig.contextSize,
        parallelSequences: providerConfig.parallelSequences,
        maxQueue: providerConfig.maxQueue,
        threads,
        gpuLayers: providerConfig.gpuLayers,
      });
    } catch (error) {
      throw errors.internal(`The model '${providerConfig.id}/${name}' failed to load: ${(error as Error).message}`, error);
    }
  };

  const capabilitiesOf = (summary: GgufSummary): Capability[] => (summary.embeddingOnly ? ["embeddings"] : ["chat", "tools", "embeddings"]);

  const controls = createResidencyControls({
    providerId: providerConfig.id,
    residency,
    prepare,
    describe: (model) => ({
      contextSize: model.contextSize,
      threads: model.threads,
      sequences: { total: model.sequences.size, busy: model.sequences.busy(), waiting: model.sequences.waiting() },
    }),
  });

  return {
    id: providerConfig.id,
    type: "llamacpp",
    modelsDirectories: directories,
    async listModels() {
      const loadedNames = new Set(residency.entries().map((entry) => entry.name));
      const models: ModelInfo[] = [];
      for (const file of await findGgufFiles(directories)) {
        const inspection = await inspect(file);
        if (!inspection.ok) {
          models.push(listLocalModel(providerConfig.id, file, loadedNames, { error: inspection.error.message }));
          continue;
        }
        const { summary } = inspection;
        models.push(
          listLocalModel(providerConfig.id, file, loadedNames, {
            capabilities: capabilitiesOf(summary),
            contextLength: summary.contextLength,
            metadata: {
              architecture: summary.architecture,
              displayName: summary.displayName,
              parameterCount: summary.parameterCount,
              hasChatTemplate: summary.chatTemplate !== undefined,
            },
          }),
        );
      }
      return models;
    },
    async invalidModels() {
      const invalid: { name: string; path: string; error: string }[] = [];
      for (const file of await findGgufFiles(directories)) {
        const inspection = await inspect(file);
        if (!inspection.ok) invalid.push({ name: file.name, path: file.path, error: inspection.error.message });
      }
      return invalid;
    },
    async health() {
      try {
        await getLlama();
        return { status: "ok", detail: `${residency.entries().length} model(s) loaded, ${threads} thread(s) each` };
      } catch (error) {
        return { status: "down", detail: `llama.cpp runtime unavailable: ${(error as Error).message}` };
      }
    },
    chatModel(modelName) {
      return createLlamaCppChatModel({ providerId: providerConfig.id, modelName, acquire: () => acquire(modelName) });
    },
    embeddingModel(modelName) {
      return createLlamaCppEmbeddingModel({ id: `${providerConfig.id}/${modelName}`, acquire: () => acquire(modelName) });
    },
    ...controls,
    async close() {
      await residency.close();
    },
  };
}
