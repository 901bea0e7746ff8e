import path from "node:path";
import type { Logger } from "../../logging/create-logger.ts";
import { createModelResidency, type ModelResidency, type Resident } from "./model-residency.ts";
import { type Scheduler, systemScheduler } from "./scheduler.ts";

/** The residency keys every in-process engine's provider config has. */
export interface EngineResidencyConfig {
  id: string;
  keepAliveMs: number;
  memoryBudgetBytes: number;
}

export interface EngineResidencyOptions {
  logger: Logger;
  /** Keep-alive clock for a residency of its own; tests inject a manual one. */
  scheduler?: Scheduler;
  /** The Station-wide residency shared with the other in-process engines. */
  residency?: ModelResidency<Resident>;
}

/**
 * An engine's view of the Station-wide residency (its names under the provider id, its default
 * keep-alive and optional budget), or a residency of its own when it runs alone (a unit test, a CLI
 * command that builds one provider).
 */
export function engineResidency<Model extends Resident>(
  config: EngineResidencyConfig,
  options: EngineResidencyOptions,
): ModelResidency<Model> {
  const scopeOptions = { defaultKeepAliveMs: config.keepAliveMs, memoryBudgetBytes: config.memoryBudgetBytes };
  return (
    options.residency?.scope<Model>(config.id, scopeOptions) ??
    createModelResidency<Model>({
      scheduler: options.scheduler ?? systemScheduler,
      defaultKeepAliveMs: config.keepAliveMs,
      memoryBudgetBytes: config.memoryBudgetBytes,
      logger: options.logger,
    })
  );
}

/** Where an engine looks for models: its configured directory first, then `<dataDir>/models` (where pulls go). */
export function engineModelsDirectories(modelsDir: string | undefined, dataDir: string): string[] {
  const configured = modelsDir === undefined ? [] : [path.resolve(modelsDir)];
  return [...new Set([...configured, path.join(dataDir, "models")])];
}
