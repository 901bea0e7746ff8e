import { createHash } from "node:crypto";
import type { ProviderConfig, StationConfig } from "../../config/schema.ts";
import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";
import type { Logger } from "../../logging/create-logger.ts";
import type { EngineCacheReport } from "../engine-worker/engine-worker-protocol.ts";
import { createMoonfileModels } from "../moonfile/create-moonfile-models.ts";
import type { MoonfileResident } from "../moonfile/start-moonfile-worker.ts";
import { createInspectionCache } from "../residency/create-inspection-cache.ts";
import { engineModelsDirectories, engineResidency } from "../residency/engine-residency.ts";
import type { ModelResidency, ResidencyHandle, Resident } from "../residency/model-residency.ts";
import { createResidencyControls } from "../residency/residency-controls.ts";
import type { Scheduler } from "../residency/scheduler.ts";
import type { ModelInfo, Provider, RunningModel, VisionModel } from "../spec/index.ts";
import { createDeferredVisionModel } from "./create-deferred-vision-model.ts";
import type { EncodingCacheStats } from "./create-encoding-cache.ts";
import { createFlorence2VisionModel } from "./create-florence2-vision-model.ts";
import { createSmolVlmVisionModel } from "./create-smolvlm-vision-model.ts";
import { createVisionChatModel } from "./create-vision-chat-model.ts";
import { findOnnxModelDirectories, type OnnxModelDirectory } from "./find-onnx-model-directories.ts";
import { inspectVisionModel, type VisionInspection, type VisionModelSummary } from "./inspect-vision-model.ts";
import { localVisionThreadCount } from "./local-vision-thread-count.ts";
import { type Florence2Resident, startFlorence2Worker } from "./start-florence2-worker.ts";
import { type SmolVlmResident, startSmolVlmWorker } from "./start-smolvlm-worker.ts";
import { visionModelError } from "./vision-model-error.ts";

/** A loaded model of any family this provider runs. */
type LocalVisionResident = Florence2Resident | MoonfileResident | SmolVlmResident;

export type LocalVisionProviderConfig = Extract<ProviderConfig, { type: "local-vision" }>;

export interface LocalVisionProviderOptions {
  config: StationConfig;
  logger: Logger;
  scheduler?: Scheduler;
  /** The Station-wide residency shared with the other in-process engines; without it, one of its own. */
  residency?: ModelResidency<Resident>;
}

export interface LocalVisionProvider extends Provider {
  readonly modelsDirectories: string[];
  visionModel(modelName: string): VisionModel;
  runningModels(): RunningModel[];
  loadModel(modelName: string, options?: { keepAliveMs?: number }): Promise<void>;
  unloadModel(modelName: string): Promise<void>;
  encodeCacheStats(): EncodingCacheStats;
  close(): Promise<void>;
}

/** Where pulled Hugging Face ONNX repositories go and where discovery looks. */
export function localVisionModelsDirectories(providerConfig: LocalVisionProviderConfig, config: StationConfig): string[] {
  return engineModelsDirectories(providerConfig.modelsDir, config.dataDir);
}

/**
 * The `local-vision` provider: every Hugging Face ONNX vision repository (a directory with
 * config.json and onnx/) in the models directories, run by transformers.js on onnxruntime-node's
 * CPU kernels in one worker thread per loaded model (session.run computes on its calling thread,
 * so in the server's thread it would stall every other request); requests per model are bounded
 * (parallelRequests running, maxQueue waiting).
 */
export function createLocalVisionProvider(
  providerConfig: LocalVisionProviderConfig,
  options: LocalVisionProviderOptions,
): LocalVisionProvider {
  const { logger } = options;
  const directories = localVisionModelsDirectories(providerConfig, options.config);
  const threads = providerConfig.threads > 0 ? providerConfig.threads : localVisionThreadCount();
  const residency = engineResidency<LocalVisionResident>(providerConfig, options);
  const stats: EncodingCacheStats = {
    hits: 0,
    misses: 0,
    encoderRuns: 0,
    promptHits: 0,
    entries: 0,
    capacity: providerConfig.encodeCacheEntries,
  };
  // Caches of in-process models (.mf), and entries per Florence-2 worker as it last reported them.
  const caches = new Set<{ readonly size: number }>();
  const workerCacheEntries = new Map<string, number>();
  const moonfiles = createMoonfileModels({
    providerId: providerConfig.id,
    directories,
    threads,
    parallelRequests: providerConfig.parallelRequests,
    maxQueue: providerConfig.maxQueue,
    maxNewTokens: providerConfig.maxNewTokens,
    encodeCacheEntries: providerConfig.encodeCacheEntries,
    stats,
    caches,
    acquire: (name, prepareMoonfile) => residency.acquire(name, prepareMoonfile),
    unload: (name) => residency.unload(name),
    logger,
  });
  const modelId = (name: string) => `${providerConfig.id}/${name}`;

  const inspections = createInspectionCache<OnnxModelDirectory, VisionInspection>(
    (model) => inspectVisionModel(modelId(model.name), model),
    (model, result) => {
      if (!result.ok) logger.warn({ model: modelId(model.name), reason: result.error.message }, "local vision model skipped");
    },
  );
  const inspect = (model: OnnxModelDirectory) => inspections.inspect(model);

  const resolveModel = async (name: string): Promise<{ model: OnnxModelDirectory; summary: VisionModelSummary }> => {
    const model = (await findOnnxModelDirectories(directories)).find((candidate) => candidate.name === name);
    if (model === undefined) throw errors.modelNotFound(modelId(name));
    const inspection = await inspect(model);
    if (!inspection.ok) throw inspection.error;
    return { model, summary: inspection.summary };
  };

  const prepare = (name: string) => async () => {
    const { model, summary } = await resolveModel(name);
    return {
      estimatedBytes: summary.sizeBytes,
      load: async (): Promise<LocalVisionResident> => {
        try {
          const workerLoad = {
            directory: model.path,
            dtypes: summary.dtypes,
            threads,
            encodeCacheEntries: providerConfig.encodeCacheEntries,
          };
          const residentWorker = {
            modelId: modelId(name),
            sizeBytes: summary.sizeBytes,
            parallelRequests: providerConfig.parallelRequests,
            maxQueue: providerConfig.maxQueue,
            onCacheReport(report: EngineCacheReport) {
              stats.hits += report.hits;
              stats.misses += report.misses;
              stats.encoderRuns += report.encoderRuns;
              stats.promptHits += report.promptHits ?? 0;
              workerCacheEntries.set(name, report.entries);
            },
            onCrash(error: Error) {
              logger.error({ model: modelId(name), err: error }, "local vision worker stopped; the model reloads on next use");
              void residency.unload(name);
            },
          };
          const loaded =
            summary.runner === "smolvlm"
              ? await startSmolVlmWorker({ ...residentWorker, load: workerLoad })
              : await startFlorence2Worker({ ...residentWorker, worker: workerLoad });
          const dispose = loaded.dispose.bind(loaded);
          return Object.assign(loaded, {
            dispose: async () => {
              workerCacheEntries.delete(name);
              await dispose();
            },
          });
        } catch (error) {
          // onnxruntime's "protobuf parsing failed", a graph whose inputs do not match: the files are bad, not the request.
          const invalid = visionModelError(modelId(name), model.path, (error as Error).message, error);
          // Remembered for this version of the files: listed with the reason, no longer a default candidate.
          inspections.remember(model, { ok: false, error: invalid, family: summary.family });
          throw invalid;
        }
      },
    };
  };

  const acquire = async (name: string): Promise<ResidencyHandle<Florence2Resident>> => {
    const handle = await residency.acquire(name, prepare(name));
    if ("family" in handle.model) {
      handle.release();
      throw errors.internal(`'${modelId(name)}' is loaded as another family (${handle.model.family})`);
    }
    return handle as ResidencyHandle<Florence2Resident>;
  };

  const smolVlmVisionModel = (modelName: string): VisionModel =>
    createSmolVlmVisionModel({
      id: modelId(modelName),
      maxNewTokens: providerConfig.maxNewTokens,
      async withModel(request, work) {
        const handle = await residency.acquire(modelName, prepare(modelName));
        try {
          const model = handle.model;
          if (!("family" in model) || model.family !== "smolvlm")
            throw errors.internal(`'${modelId(modelName)}' is loaded as another family`);
          const slot = await model.slots.acquire(request.signal);
          try {
            return await work(model);
          } finally {
            slot.release();
          }
        } catch (error) {
          if (error instanceof StationError || request.signal?.aborted) throw error;
          throw errors.internal(`The local vision model '${modelId(modelName)}' failed: ${(error as Error).message}`, error);
        } finally {
          handle.release();
        }
      },
    });

  /** A Hugging Face directory of that name is served first; else a `<name>.mf`. */
  const isMoonfile = async (name: string): Promise<boolean> =>
    (await moonfiles.find(name)) !== undefined &&
    !(await findOnnxModelDirectories(directories)).some((candidate) => candidate.name === name);

  const florence2VisionModel = (modelName: string): VisionModel =>
    createFlorence2VisionModel({
      id: modelId(modelName),
      maxNewTokens: providerConfig.maxNewTokens,
      async run(task) {
        const handle = await acquire(modelName);
        try {
          const slot = await handle.model.slots.acquire(task.signal);
          try {
            const contentHash = task.contentHash ?? createHash("sha256").update(task.image.data).digest("hex");
            return await handle.model.run({ ...task, contentHash, maxNewTokens: providerConfig.maxNewTokens });
          } finally {
            slot.release();
          }
        } catch (error) {
          if (error instanceof StationError || task.signal?.aborted) throw error;
          throw errors.internal(`The local vision model '${modelId(modelName)}' failed: ${(error as Error).message}`, error);
        } finally {
          handle.release();
        }
      },
    });

  const visionModel = (modelName: string): VisionModel =>
    createDeferredVisionModel(modelId(modelName), async () => {
      if (await isMoonfile(modelName)) return moonfiles.visionModel(modelName);
      const { summary } = await resolveModel(modelName);
      return summary.runner === "smolvlm" ? smolVlmVisionModel(modelName) : florence2VisionModel(modelName);
    });

  const controls = createResidencyControls({
    providerId: providerConfig.id,
    residency,
    // A Hugging Face directory of that name first; else a `<name>.mf`.
    prepare: (name) => async () => ((await isMoonfile(name)) ? moonfiles.prepare(name) : prepare(name))(),
    describe: (model) => ({
      contextSize: 0,
      threads: model.threads,
      sequences: { total: model.slots.size, busy: model.slots.busy(), waiting: model.slots.waiting() },
    }),
  });

  return {
    id: providerConfig.id,
    type: "local-vision",
    modelsDirectories: directories,
    async listModels() {
      const loadedNames = new Set(residency.entries().map((entry) => entry.name));
      const models: ModelInfo[] = [];
      const onnxDirectories = await findOnnxModelDirectories(directories);
      for (const model of onnxDirectories) {
        const inspection = await inspect(model);
        const base = { id: modelId(model.name), providerId: providerConfig.id, name: model.name };
        if (!inspection.ok) {
          // Listed, so a request for it gets the clear reason (422 model_invalid) rather than a bare 404.
          models.push({
            ...base,
            capabilities: [],
            state: "not-loaded",
            metadata: { path: model.path, sizeBytes: model.sizeBytes, engine: "transformers.js", error: inspection.error.message },
          });
          continue;
        }
        const { summary } = inspection;
        models.push({
          ...base,
          capabilities: summary.capabilities,
          state: loadedNames.has(model.name) ? "loaded" : "not-loaded",
          metadata: {
            path: model.path,
            sizeBytes: model.sizeBytes,
            engine: "transformers.js",
            family: summary.family,
            architecture: summary.modelType,
            dtypes: summary.dtypes,
            visionSkills: summary.runner === "smolvlm" ? ["caption", "query"] : ["caption", "query", "detect", "point"],
          },
        });
      }
      models.push(...(await moonfiles.list(new Set(onnxDirectories.map((model) => model.name)), loadedNames)));
      return models;
    },
    async health() {
      return { status: "ok", detail: `${residency.entries().length} model(s) loaded, ${threads} thread(s) each` };
    },
    chatModel: (modelName) => createVisionChatModel(providerConfig.id, modelName, visionModel(modelName)),
    visionModel: (modelName) => visionModel(modelName),
    ...controls,
    encodeCacheStats() {
      const sum = (sizes: Iterable<number>) => [...sizes].reduce((total, size) => total + size, 0);
      return { ...stats, entries: sum([...caches].map((cache) => cache.size)) + sum(workerCacheEntries.values()) };
    },
    async close() {
      await residency.close();
    },
  };
}
