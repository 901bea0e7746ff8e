import type { RunningModel } from "../spec/running-model.ts";
import type { ModelResidency, PrepareLoad, Resident } from "./model-residency.ts";

/** What /v1/system/ps shows of a loaded model beyond what the residency knows. */
export interface ResidentDescription {
  contextSize: number;
  threads?: number;
  sequences: RunningModel["sequences"];
}

/** The provider methods behind /v1/system/models/load, /unload and /v1/system/ps. */
export interface ResidencyControls {
  loadModel(modelName: string, options?: { keepAliveMs?: number }): Promise<void>;
  unloadModel(modelName: string): Promise<void>;
  runningModels(): RunningModel[];
}

export interface ResidencyControlsOptions<Model extends Resident> {
  providerId: string;
  residency: ModelResidency<Model>;
  /** The same preparation requests use (validates, estimates the size, loads). */
  prepare(modelName: string): PrepareLoad<Model>;
  describe(model: Model): ResidentDescription;
}

/** load, unload and ps over an engine's residency view, the same for every in-process engine. */
export function createResidencyControls<Model extends Resident>(options: ResidencyControlsOptions<Model>): ResidencyControls {
  const { providerId, residency } = options;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    async loadModel(modelName, loadOptions = {}) {
      await residency.preload(modelName, options.prepare(modelName), loadOptions.keepAliveMs);
    },
    async unloadModel(modelName) {
      await residency.unload(modelName);
    },
    runningModels() {
      return residency.entries().map((entry) => ({
        id: `${providerId}/${entry.name}`,
        providerId,
        name: entry.name,
        sizeBytes: entry.model.sizeBytes,
        ...options.describe(entry.model),
        loadedAt: iso(entry.loadedAt),
        lastUsedAt: iso(entry.lastUsedAt),
        expiresAt: entry.expiresAt === undefined ? null : iso(entry.expiresAt),
        keepAliveMs: entry.keepAliveMs,
      }));
    },
  };
}
