import path from "node:path";
import { loadConfig } from "../config/load-config.ts";
import type { StationConfig } from "../config/schema.ts";
import { huggingFaceAuthorization } from "../providers/download/hugging-face-authorization.ts";
import { type LlamaCppProviderConfig, llamaCppModelsDirectories } from "../providers/llamacpp/create-llamacpp-provider.ts";
import { pullModel } from "../providers/llamacpp/pull-model.ts";
import { isMoonfileUri } from "../providers/moonfile/pull-moonfile.ts";
import { isRepositoryUri } from "../providers/transformers/pull-onnx-repository.ts";
import type { PullFlags } from "./pull-flags.ts";
import { createPullProgressBar, megabytes } from "./pull-progress-bar.ts";
import { pullRepositoryCommand } from "./pull-repository-command.ts";

/** The first llamacpp provider's models directory (what it serves first), else <dataDir>/models. */
export function pullDirectory(config: StationConfig): string {
  const local = config.providers?.find((provider): provider is LlamaCppProviderConfig => provider.type === "llamacpp");
  return local === undefined ? path.join(config.dataDir, "models") : (llamaCppModelsDirectories(local, config)[0] as string);
}

/**
 * `station pull <uri>`: download a GGUF with a progress bar; resumes, verifies size, SHA-256 and
 * header. Hugging Face ONNX repositories and Moondream .mf files go to their own pulls.
 */
export async function pullCommand(uri: string, flags: PullFlags): Promise<void> {
  const { config } = loadConfig(flags);
  if (isRepositoryUri(uri)) {
    await pullRepositoryCommand(uri, flags, config);
    return;
  }
  if (isMoonfileUri(uri)) {
    const { pullMoonfileCommand } = await import("./pull-moonfile-command.ts");
    await pullMoonfileCommand(uri, flags, config);
    return;
  }
  const directory = flags.dir === undefined ? pullDirectory(config) : path.resolve(flags.dir);
  const localId = config.providers?.find((provider) => provider.type === "llamacpp")?.id ?? "local";
  const bar = createPullProgressBar(flags, "{bar} {percentage}% | {value}/{total} MB | {speed} MB/s | ETA {eta_formatted}");
  const startedAt = Date.now();
  let firstBytes: number | undefined;

  const result = await pullModel({
    uri,
    directory,
    sha256: flags.sha256,
    huggingFaceEndpoint: flags.hfEndpoint ?? config.huggingFace.endpoint,
    ...huggingFaceAuthorization(uri, config.huggingFace.token),
    onProgress(received, total) {
      if (firstBytes === undefined) {
        firstBytes = received;
        if (received > 0) process.stderr.write(`resuming at ${megabytes(received)} MB\n`);
      }
      const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
      bar.update(received, total, { speed: Math.round(((received - firstBytes) / 1e6 / seconds) * 10) / 10 });
    },
  }).finally(() => bar.stop());

  if (result.alreadyPresent) process.stdout.write(`already present: ${result.path}\n`);
  else process.stdout.write(`saved ${result.path} (${megabytes(result.sizeBytes)} MB)\n`);
  process.stdout.write(`sha256 ${result.sha256}\nmodel: ${localId}/${result.modelName}\n`);
}
