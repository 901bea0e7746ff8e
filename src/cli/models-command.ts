import { type ConfigFlags, loadConfig } from "../config/load-config.ts";
import { createLogger } from "../logging/create-logger.ts";
import { noChatModelHint } from "../providers/llamacpp/no-chat-model-hint.ts";
import type { Provider } from "../providers/spec/index.ts";
import { noCaptionModelHint } from "../vision/no-caption-model-hint.ts";
import { openModelRegistry } from "./open-model-registry.ts";

/** `station models`: what the registry sees, from the config alone (no server needed). */
export async function modelsCommand(flags: ConfigFlags & { json?: boolean }): Promise<void> {
  const { config } = loadConfig(flags);
  const logger = createLogger("silent");
  const { registry, providers } = await openModelRegistry(config, logger, (id, error) =>
    process.stderr.write(`provider '${id}' disabled: ${error.message}\n`),
  );
  try {
    const models = registry.list();
    const invalid = (
      await Promise.all(
        providers.map(async (provider) => {
          const local = provider as Provider & { invalidModels?: () => Promise<{ name: string; path: string; error: string }[]> };
          return ((await local.invalidModels?.()) ?? []).map((entry) => ({ ...entry, id: `${provider.id}/${entry.name}` }));
        }),
      )
    ).flat();
    const hint = noChatModelHint(models);
    const visionHint = noCaptionModelHint(models);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ models, invalid, ...(hint === undefined ? {} : { hint }), ...(visionHint === undefined ? {} : { visionHint }) }, null, 2)}\n`,
      );
      return;
    }
    const rows = models
      .filter((model) => model.metadata?.error === undefined)
      .map((model) => [model.id, model.capabilities.join(","), String(model.contextLength ?? ""), sizeOf(model.metadata?.sizeBytes)]);
    const header = ["MODEL", "CAPABILITIES", "CONTEXT", "SIZE"];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
    for (const row of [header, ...rows])
      process.stdout.write(
        `${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join("  ")
          .trimEnd()}\n`,
      );
    for (const entry of invalid) process.stdout.write(`\n! ${entry.id} cannot be served: ${entry.error}\n`);
    if (hint !== undefined) process.stdout.write(`\n${hint}\n`);
    if (visionHint !== undefined) process.stdout.write(`\n${visionHint}\n`);
  } finally {
    await registry.close();
  }
}

function sizeOf(bytes: unknown): string {
  if (typeof bytes !== "number") return "";
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1e3)} KB`;
}
