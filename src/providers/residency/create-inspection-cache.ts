/** A model file or directory as discovery found it: another size or modification time is another version. */
export interface ModelOnDisk {
  name: string;
  path: string;
  sizeBytes: number;
  modifiedMs: number;
}

export interface InspectionCache<Model extends ModelOnDisk, Result> {
  /** The inspection of this version of the model's files, run once (discovery runs on every registry refresh). */
  inspect(model: Model): Promise<Result>;
  /** Replaces the result for this version: a load that failed is remembered until the files change. */
  remember(model: Model, result: Result): void;
}

/** Inspections (header checks, config reads) by model name, kept while the files stay the same. */
export function createInspectionCache<Model extends ModelOnDisk, Result>(
  inspect: (model: Model) => Promise<Result>,
  onInspected?: (model: Model, result: Result) => void,
): InspectionCache<Model, Result> {
  const results = new Map<string, { version: string; result: Result }>();
  const versionOf = (model: ModelOnDisk) => `${model.path}:${model.sizeBytes}:${model.modifiedMs}`;
  return {
    async inspect(model) {
      const version = versionOf(model);
      const cached = results.get(model.name);
      if (cached?.version === version) return cached.result;
      const result = await inspect(model);
      onInspected?.(model, result);
      results.set(model.name, { version, result });
      return result;
    },
    remember(model, result) {
      results.set(model.name, { version: versionOf(model), result });
    },
  };
}
