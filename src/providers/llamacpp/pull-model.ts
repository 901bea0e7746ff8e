import path from "node:path";
import { downloadFile } from "../download/download-file.ts";
import { inspectGgufFile } from "./inspect-gguf-file.ts";
import { resolveModelUri } from "./resolve-model-uri.ts";

export interface PullModelOptions {
  uri: string;
  /** Models directory the file lands in. */
  directory: string;
  /** Expected SHA-256 (hex); the download is refused if it differs. */
  sha256?: string;
  huggingFaceEndpoint?: string;
  fetch?: typeof fetch;
  /** Extra request headers (e.g. Authorization for gated repositories). */
  headers?: Record<string, string>;
  onProgress?(receivedBytes: number, totalBytes: number | undefined): void;
  signal?: AbortSignal;
}

export interface PullModelResult {
  path: string;
  modelName: string;
  sizeBytes: number;
  sha256: string;
  /** Bytes that were already on disk from an earlier, interrupted attempt. */
  resumedFromBytes: number;
  alreadyPresent: boolean;
}

/**
 * Downloads a GGUF into the models directory (resumable, size- and SHA-256-checked, see
 * downloadFile), refusing a file whose GGUF header llama.cpp could not load.
 */
export async function pullModel(options: PullModelOptions): Promise<PullModelResult> {
  const { url, fileName } = resolveModelUri(options.uri, options.huggingFaceEndpoint);
  const modelName = fileName.slice(0, -".gguf".length);
  const result = await downloadFile({
    url,
    target: path.join(options.directory, fileName),
    ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    async validate(partial) {
      const inspection = await inspectGgufFile(modelName, partial);
      return inspection.ok ? undefined : `not a usable GGUF model: ${inspection.error.message}`;
    },
  });
  return { ...result, modelName };
}
