import path from "node:path";
import { errors } from "../../errors/errors.ts";
import type { Logger } from "../../logging/create-logger.ts";
import { listLocalModel } from "../list-local-model.ts";
import { createInspectionCache } from "../residency/create-inspection-cache.ts";
import type { PrepareLoad, ResidencyHandle, Resident } from "../residency/model-residency.ts";
import type { ModelInfo } from "../spec/provider.ts";
import type { VisionModel } from "../spec/vision-model.ts";
import { contentHashOf } from "../transformers/content-hash-of.ts";
import type { EncodingCacheStats } from "../transformers/create-encoding-cache.ts";
import { runOnResident } from "../transformers/run-on-resident.ts";
import { visionModelError } from "../transformers/vision-model-error.ts";
import { createMoonfileVisionModel } from "./create-moonfile-vision-model.ts";
import { findMoonfiles, type MoonfileOnDisk } from "./find-moonfiles.ts";
import { inspectMoonfile, type MoonfileInspection } from "./inspect-moonfile.ts";
import { pullMoonfile } from "./pull-moonfile.ts";
import type { MoonfileResident } from "./start-moonfile-worker.ts";

export interface MoonfileModelsOptions {
  providerId: string;
  directories: readonly string[];
  /** ONNX Runtime threads of each worker. */
  threads: number;
  /** Worker threads per loaded model (requests that run at once). */
  workers: number;
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

/**
 * The Moondream `.mf` family of the local-vision provider: discovery in the models directories
 * (a `.mf.gz` dropped in by hand is unpacked beside itself once, as `station pull` would),
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

  // One unpack per version of a dropped .mf.gz; a failure is remembered as that version's inspection.
  const unpacking = new Map<string, Promise<void>>();
  const unpack = (file: MoonfileOnDisk): Promise<void> => {
    const key = `${file.path}:${file.sizeBytes}:${file.modifiedMs}`;
    let pending = unpacking.get(key);
    if (pending === undefined) {
      options.logger.info({ model: modelId(file.name), path: file.path }, "unpacking a Moondream .mf.gz found in the models directory");
      pending = pullMoonfile({ source: file.path, directory: path.dirname(file.path) }).then(
        () => undefined,
        (error: unknown) => {
          inspections.remember(file, {
            ok: false,
            error: visionModelError(modelId(file.name), file.path, (error as Error).message, error),
          });
        },
      );
      unpacking.set(key, pending);
    }
    return pending;
  };
  const discover = async (): Promise<MoonfileOnDisk[]> => {
    const found = await findMoonfiles(options.directories);
    const gzipped = found.filter((file) => file.gzipped);
    if (gzipped.length === 0) return found;
    await Promise.all(gzipped.map(unpack));
    // Unpacked: the .mf now shadows its .gz; a failed one stays listed with its reason.
    return findMoonfiles(options.directories);
  };

  const find = async (name: string) => (await discover()).find((file) => file.name === name);

  const prepare =
    (name: string): PrepareLoad<MoonfileResident> =>
    async () => {
      const file = await find(name);
      if (file === undefined) throw errors.modelNotFound(modelId(name));
      const inspection = await inspect(file);
      if (!inspection.ok) throw inspection.error;
      const { index } = inspection.summary;
      return {
        estimatedBytes: index.sizeBytes * options.workers,
        load: async () => {
          // The encoded images live in the workers: their reports keep the provider's counters and entry count.
          const entries = new Map<number, number>();
          const cache = {
            get size() {
              return [...entries.values()].reduce((sum, size) => sum + size, 0);
            },
          };
          try {
            const { startMoonfileWorker } = await import("./start-moonfile-worker.ts");
            const loaded = await startMoonfileWorker({
              modelId: modelId(name),
              workerData: {
                path: file.path,
                index,
                threads: options.threads,
                encodeCacheEntries: options.encodeCacheEntries,
                encodeCacheBytes,
              },
              sizeBytes: index.sizeBytes,
              threads: options.threads,
              workers: options.workers,
              maxQueue: options.maxQueue,
              onCacheReport(report, worker) {
                options.stats.hits += report.hits;
                options.stats.misses += report.misses;
                options.stats.encoderRuns += report.encoderRuns;
                entries.set(worker, report.entries);
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
      withModel: (request, work) => {
        const contentHash = contentHashOf(request);
        return runOnResident(
          {
            modelId: modelId(name),
            family: "moondream-mf",
            acquire: () => options.acquire(name, prepare(name)),
            signal: request.signal,
            contentHash,
          },
          (worker: Parameters<typeof work>[0]) => work(worker, contentHash),
        );
      },
    });

  return {
    find,
    prepare,
    visionModel,
    async list(taken, loaded) {
      const models: ModelInfo[] = [];
      for (const file of await discover()) {
        if (taken.has(file.name)) continue;
        const inspection = await inspect(file);
        const metadata = { engine: "onnxruntime (Moondream .mf)", family: "moondream-mf" };
        models.push(
          listLocalModel(
            options.providerId,
            file,
            loaded,
            inspection.ok
              ? { capabilities: inspection.summary.capabilities, metadata: { ...metadata, visionSkills: inspection.summary.skills } }
              : { error: inspection.error.message, metadata },
          ),
        );
      }
      return models;
    },
  };
}
