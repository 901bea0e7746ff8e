import { createHash } from "node:crypto";
import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";
import type { Logger } from "../../logging/create-logger.ts";
import { createInspectionCache } from "../residency/create-inspection-cache.ts";
import type { PrepareLoad, ResidencyHandle, Resident } from "../residency/model-residency.ts";
import type { ModelInfo } from "../spec/provider.ts";
import type { VisionModel } from "../spec/vision-model.ts";
import type { EncodingCacheStats } from "../transformers/create-encoding-cache.ts";
import { visionModelError } from "../transformers/vision-model-error.ts";
import { createMoonfileVisionModel } from "./create-moonfile-vision-model.ts";
import { findMoonfiles, type MoonfileOnDisk } from "./find-moonfiles.ts";
import { inspectMoonfile, type MoonfileInspection } from "./inspect-moonfile.ts";
import type { MoonfileResident } from "./start-moonfile-worker.ts";

export interface MoonfileModelsOptions {
  providerId: string;
  directories: readonly string[];
  threads: number;
  parallelRequests: number;
  maxQueue: number;
  maxNewTokens: number;
  encodeCacheEntries: number;
  /** The provider's encode-cache counters, shared with its other families. */
  stats: EncodingCacheStats;
  /** The provider's live caches (their sizes are summed for the metrics). */
  caches: Set<{ readonly size: number }>;
  /** The provider's residency view (acquire with this family's prepare). */
  acquire(name: string, prepare: PrepareLoad<MoonfileResident>): Promise<ResidencyHandle<Resident>>;
  /** Drops a model whose worker thread died, so the next request loads it afresh. */
  unload(name: string): Promise<unknown>;
  logger: Logger;
}

export interface MoonfileModels {
  find(name: string): Promise<MoonfileOnDisk | undefined>;
  /** Every `.mf` not shadowed by a name in `taken`, with its capabilities or the reason it cannot be served. */
  list(taken: ReadonlySet<string>, loaded: ReadonlySet<string>): Promise<ModelInfo[]>;
  prepare(name: string): PrepareLoad<MoonfileResident>;
  visionModel(name: string): VisionModel;
}

/** Encoded images cost the decoder's cache after the image (~70 MB for the 0.5B model): bounded by bytes as well as entries. */
const encodeCacheBytes = 1024 * 1024 * 1024;

const isMoonfileResident = (model: Resident): model is MoonfileResident => (model as Partial<MoonfileResident>).family === "moondream-mf";

/**
 * The Moondream `.mf` family of the local-vision provider: discovery in the models directories,
 * inspection once per file version, loads through the provider's residency, and the vision model.
 */
export function createMoonfileModels(options: MoonfileModelsOptions): MoonfileModels {
  const modelId = (name: string) => `${options.providerId}/${name}`;
  const inspections = createInspectionCache<MoonfileOnDisk, MoonfileInspection>(
    (file) => inspectMoonfile(modelId(file.name), file.path),
    (file, result) => {
      if (!result.ok) options.logger.warn({ model: modelId(file.name), reason: result.error.message }, "Moondream .mf model skipped");
    },
  );
  const inspect = (file: MoonfileOnDisk) => inspections.inspect(file);

  const find = async (name: string) => (await findMoonfiles(options.directories)).find((file) => file.name === name);

  const prepare =
    (name: string): PrepareLoad<MoonfileResident> =>
    async () => {
      const file = await find(name);
      if (file === undefined) throw errors.modelNotFound(modelId(name));
      const inspection = await inspect(file);
      if (!inspection.ok) throw inspection.error;
      const { index } = inspection.summary;
      return {
        estimatedBytes: index.sizeBytes,
        load: async () => {
          // The encoded images live in the worker: its reports keep the provider's counters and entry count.
          const cache = { size: 0 };
          try {
            const { startMoonfileWorker } = await import("./start-moonfile-worker.ts");
            const loaded = await startMoonfileWorker({
              modelId: modelId(name),
              worker: {
                path: file.path,
                index,
                threads: options.threads,
                encodeCacheEntries: options.encodeCacheEntries,
                encodeCacheBytes,
              },
              parallelRequests: options.parallelRequests,
              maxQueue: options.maxQueue,
              onCacheReport(report) {
                options.stats.hits += report.hits;
                options.stats.misses += report.misses;
                options.stats.encoderRuns += report.encoderRuns;
                cache.size = report.entries;
              },
              onCrash(error) {
                options.logger.error({ model: modelId(name), err: error }, "Moondream .mf worker thread ended; unloading the model");
                void options.unload(name).catch(() => undefined);
              },
            });
            options.caches.add(cache);
            const dispose = loaded.dispose.bind(loaded);
            return Object.assign(loaded, {
              dispose: async () => {
                options.caches.delete(cache);
                await dispose();
              },
            });
          } catch (error) {
            // A graph ONNX Runtime cannot parse, a tokenizer it cannot build: the file is bad, not the request.
            const invalid = visionModelError(modelId(name), file.path, (error as Error).message, error);
            inspections.remember(file, { ok: false, error: invalid });
            throw invalid;
          }
        },
      };
    };

  const visionModel = (name: string): VisionModel =>
    createMoonfileVisionModel({
      id: modelId(name),
      maxNewTokens: options.maxNewTokens,
      async withModel(request, work) {
        const handle = await options.acquire(name, prepare(name));
        try {
          const model = handle.model;
          if (!isMoonfileResident(model)) throw errors.internal(`'${modelId(name)}' is loaded as another family`);
          const slot = await model.slots.acquire(request.signal);
          try {
            return await work(model, request.contentHash ?? createHash("sha256").update(request.image.data).digest("hex"));
          } finally {
            slot.release();
          }
        } catch (error) {
          if (error instanceof StationError || request.signal?.aborted) throw error;
          throw errors.internal(`The local vision model '${modelId(name)}' failed: ${(error as Error).message}`, error);
        } finally {
          handle.release();
        }
      },
    });

  return {
    find,
    prepare,
    visionModel,
    async list(taken, loaded) {
      const models: ModelInfo[] = [];
      for (const file of await findMoonfiles(options.directories)) {
        if (taken.has(file.name)) continue;
        const inspection = await inspect(file);
        const base = { id: modelId(file.name), providerId: options.providerId, name: file.name };
        const metadata = { path: file.path, sizeBytes: file.sizeBytes, engine: "onnxruntime (Moondream .mf)", family: "moondream-mf" };
        if (!inspection.ok) {
          models.push({ ...base, capabilities: [], state: "not-loaded", metadata: { ...metadata, error: inspection.error.message } });
          continue;
        }
        models.push({
          ...base,
          capabilities: inspection.summary.capabilities,
          state: loaded.has(file.name) ? "loaded" : "not-loaded",
          metadata: { ...metadata, visionSkills: inspection.summary.skills },
        });
      }
      return models;
    },
  };
}
