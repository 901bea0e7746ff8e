import type { ProviderConfig, StationConfig } from "../../config/schema.ts";
import { errors } from "../../errors/errors.ts";
import type { Logger } from "../../logging/create-logger.ts";
import type { EngineCacheReport } from "../engine-worker/engine-worker-protocol.ts";
import { listLocalModel } from "../list-local-model.ts";
import { createMoonfileModels } from "../moonfile/create-moonfile-models.ts";
import type { MoonfileResident } from "../moonfile/start-moonfile-worker.ts";
import { createInspectionCache } from "../residency/create-inspection-cache.ts";
import { engineModelsDirectories, engineResidency } from "../residency/engine-residency.ts";
import type { ModelResidency, Resident } from "../residency/model-residency.ts";
import { createResidencyControls } from "../residency/residency-controls.ts";
import type { Scheduler } from "../residency/scheduler.ts";
import type { ModelInfo, Provider, RunningModel, VisionModel } from "../spec/index.ts";
import { contentHashOf } from "./content-hash-of.ts";
import { createDeferredVisionModel } from "./create-deferred-vision-model.ts";
import type { EncodingCacheStats } from "./create-encoding-cache.ts";
import { createFlorence2VisionModel } from "./create-florence2-vision-model.ts";
import { createImageTextVisionModel } from "./create-image-text-vision-model.ts";
import { createVisionChatModel } from "./create-vision-chat-model.ts";
import { findOnnxModelDirectories, type OnnxModelDirectory } from "./find-onnx-model-directories.ts";
import { inspectVisionModel, type VisionInspection, type VisionModelSummary } from "./inspect-vision-model.ts";
import type { ImageTextFamily } from "./load-image-text-model.ts";
import { localVisionThreadCount } from "./local-vision-thread-count.ts";
import { runOnResident } from "./run-on-resident.ts";
import { type Florence2Resident, runFlorence2, startFlorence2Worker } from "./start-florence2-worker.ts";
import { type ImageTextResident, startImageTextWorker } from "./start-image-text-worker.ts";
import { visionModelError } from "./vision-model-error.ts";

/** A loaded model of any family this provider runs. */
type LocalVisionResident = Florence2Resident | MoonfileResident | ImageTextResident;

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
 * config.json and onnx/) and every Moondream `.mf` in the models directories, run by
 * transformers.js (or Station's `.mf` runner) on onnxruntime-node's CPU kernels in worker threads
 * (session.run computes on its calling thread, so in the server's thread it would stall every other
 * request). A loaded model has `parallelRequests` workers, each with its own sessions, so that many
 * requests really run at once (the memory budget counts each copy); maxQueue more wait.
 */
export function createLocalVisionProvider(
  providerConfig: LocalVisionProviderConfig,
  options: LocalVisionProviderOptions,
): LocalVisionProvider {
  const { logger } = options;
  const directories = localVisionModelsDirectories(providerConfig, options.config);
  const workers = providerConfig.parallelRequests;
  // Explicit threads are per request (per worker); the automatic count is shared out among the workers.
  const threads = providerConfig.threads > 0 ? providerConfig.threads : Math.max(1, Math.floor(localVisionThreadCount() / workers));
  const residency = engineResidency<LocalVisionResident>(providerConfig, options);
  const stats: EncodingCacheStats = {
    hits: 0,
    misses: 0,
    encoderRuns: 0,
    promptHits: 0,
    entries: 0,
    capacity: providerConfig.encodeCacheEntries,
  };
  // Caches of .mf models, and entries per model and worker as each worker last reported them.
  const caches = new Set<{ readonly size: number }>();
  const workerCacheEntries = new Map<string, Map<number, number>>();
  const moonfiles = createMoonfileModels({
    providerId: providerConfig.id,
    directories,
    threads,
    workers,
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
      if (!result.ok && result.speech !== true)
        logger.warn({ model: modelId(model.name), reason: result.error.message }, "local vision model skipped");
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
      estimatedBytes: summary.sizeBytes * workers,
      load: async (): Promise<LocalVisionResident> => {
        try {
          const workerData = {
            directory: model.path,
            dtypes: summary.dtypes,
            threads,
            encodeCacheEntries: providerConfig.encodeCacheEntries,
          };
          const entries = new Map<number, number>();
          workerCacheEntries.set(name, entries);
          const start = {
            modelId: modelId(name),
            sizeBytes: summary.sizeBytes,
            threads,
            workers,
            maxQueue: providerConfig.maxQueue,
            onCacheReport(report: EngineCacheReport, worker: number) {
              stats.hits += report.hits;
              stats.misses += report.misses;
              stats.encoderRuns += report.encoderRuns;
              stats.promptHits += report.promptHits ?? 0;
              entries.set(worker, report.entries);
            },
            onCrash(error: Error) {
              logger.error({ model: modelId(name), err: error }, "local vision worker stopped; the model reloads on next use");
              void residency.unload(name);
            },
          };
          const loaded =
            summary.runner === "florence2"
              ? await startFlorence2Worker({ ...start, workerData })
              : await startImageTextWorker({ ...start, workerData: { ...workerData, family: summary.runner } });
          const dispose = loaded.dispose.bind(loaded);
          return Object.assign(loaded, {
            dispose: async () => {
              if (workerCacheEntries.get(name) === entries) workerCacheEntries.delete(name);
              await dispose();
            },
          });
        } catch (error) {
          workerCacheEntries.delete(name);
          // onnxruntime's "protobuf parsing failed", a graph whose inputs do not match: the files are bad, not the request.
          const invalid = visionModelError(modelId(name), model.path, (error as Error).message, error);
          // Remembered for this version of the files: listed with the reason, no longer a default candidate.
          inspections.remember(model, { ok: false, error: invalid, family: summary.family });
          throw invalid;
        }
      },
    };
  };

  const onResident = <Family extends LocalVisionResident["family"]>(
    modelName: string,
    family: Family,
    signal: AbortSignal | undefined,
    contentHash: string,
  ) => ({
    modelId: modelId(modelName),
    family,
    acquire: () => residency.acquire(modelName, prepare(modelName)),
    signal,
    contentHash,
  });

  const imageTextVisionModel = (modelName: string, family: ImageTextFamily): VisionModel =>
    createImageTextVisionModel({
      id: modelId(modelName),
      family,
      maxNewTokens: providerConfig.maxNewTokens,
      withModel: (request, work) => {
        const contentHash = contentHashOf(request);
        return runOnResident(onResident(modelName, "image-text", request.signal, contentHash), (worker: Parameters<typeof work>[0]) =>
          work(worker, contentHash),
        );
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
      run: (task) => {
        const contentHash = contentHashOf(task);
        return runOnResident(onResident(modelName, "florence2", task.signal, contentHash), (worker: Parameters<typeof runFlorence2>[0]) =>
          runFlorence2(worker, { ...task, contentHash, maxNewTokens: providerConfig.maxNewTokens }),
        );
      },
    });

  const visionModel = (modelName: string): VisionModel =>
    createDeferredVisionModel(modelId(modelName), async () => {
      if (await isMoonfile(modelName)) return moonfiles.visionModel(modelName);
      const { summary } = await resolveModel(modelName);
      return summary.runner === "florence2" ? florence2VisionModel(modelName) : imageTextVisionModel(modelName, summary.runner);
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
        const engine = { engine: "transformers.js" };
        if (!inspection.ok && inspection.speech === true) continue;
        if (!inspection.ok) {
          models.push(listLocalModel(providerConfig.id, model, loadedNames, { error: inspection.error.message, metadata: engine }));
          continue;
        }
        const { summary } = inspection;
        models.push(
          listLocalModel(providerConfig.id, model, loadedNames, {
            capabilities: summary.capabilities,
            metadata: {
              ...engine,
              family: summary.family,
              architecture: summary.modelType,
              dtypes: summary.dtypes,
              visionSkills: summary.skills,
            },
          }),
        );
      }
      models.push(...(await moonfiles.list(new Set(onnxDirectories.map((model) => model.name)), loadedNames)));
      return models;
    },
    async health() {
      return { status: "ok", detail: `${residency.entries().length} model(s) loaded, ${workers} worker(s) of ${threads} thread(s) each` };
    },
    chatModel: (modelName) => createVisionChatModel(providerConfig.id, modelName, visionModel(modelName)),
    visionModel: (modelName) => visionModel(modelName),
    ...controls,
    encodeCacheStats() {
      const sum = (sizes: Iterable<number>) => [...sizes].reduce((total, size) => total + size, 0);
      const workerEntries = [...workerCacheEntries.values()].map((entries) => sum(entries.values()));
      return { ...stats, entries: sum([...caches].map((cache) => cache.size)) + sum(workerEntries) };
    },
    async close() {
      await residency.close();
    },
  };
}
