import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { floatToPcm16 } from "../../audio/pcm16.ts";
import type { ProviderConfig, StationConfig } from "../../config/schema.ts";
import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";
import type { Logger } from "../../logging/create-logger.ts";
import { createModelResidency, type ModelResidency, type Resident } from "../residency/model-residency.ts";
import { systemScheduler } from "../residency/scheduler.ts";
import type { ModelInfo, Provider, RunningModel, SpeechModel, TranscriptionModel } from "../spec/index.ts";
import { findOnnxModelDirectories, type OnnxModelDirectory } from "../transformers/find-onnx-model-directories.ts";
import { localVisionThreadCount } from "../transformers/local-vision-thread-count.ts";
import { runnableSpeechTypes } from "../transformers/speech-families.ts";
import type { SpeechToTextResident } from "./load-moonshine.ts";
import type { TextToSpeechResident } from "./load-vits.ts";

export type LocalSpeechProviderConfig = Extract<ProviderConfig, { type: "local-speech" }>;

/** Speech architectures this engine runs, by config.json's model_type. */
const speechToTextTypes = runnableSpeechTypes("transcribe");
const textToSpeechTypes = runnableSpeechTypes("speak");

type LocalSpeechResident = SpeechToTextResident | TextToSpeechResident;
const configSchema = z.looseObject({ model_type: z.string() });

/** Where the provider looks for models: its modelsDir first (pulls go there), then <dataDir>/models. */
export function localSpeechModelsDirectories(providerConfig: LocalSpeechProviderConfig, config: StationConfig): string[] {
  const dataModels = path.join(config.dataDir, "models");
  return [...new Set([...(providerConfig.modelsDir === undefined ? [] : [path.resolve(providerConfig.modelsDir)]), dataModels])];
}

/**
 * The `local-speech` provider: Hugging Face ONNX speech repositories (Moonshine to transcribe, in a
 * worker thread; VITS to speak) in the models directories, run in-process by transformers.js on
 * onnxruntime-node, loaded on first use
 * into the Station-wide residency (keep-alive, memory budget, LRU eviction shared with GGUF and
 * vision models). Directories of other architectures are left to their engines (not listed).
 */
export function createLocalSpeechProvider(
  providerConfig: LocalSpeechProviderConfig,
  options: { config: StationConfig; logger: Logger; residency?: ModelResidency<Resident> },
): Provider {
  const directories = localSpeechModelsDirectories(providerConfig, options.config);
  const threads = providerConfig.threads > 0 ? providerConfig.threads : localVisionThreadCount();
  const residency =
    options.residency?.scope<LocalSpeechResident>(providerConfig.id, {
      defaultKeepAliveMs: providerConfig.keepAliveMs,
      memoryBudgetBytes: providerConfig.memoryBudgetBytes,
    }) ??
    createModelResidency<LocalSpeechResident>({
      scheduler: systemScheduler,
      defaultKeepAliveMs: providerConfig.keepAliveMs,
      memoryBudgetBytes: providerConfig.memoryBudgetBytes,
      logger: options.logger,
    });
  const modelId = (name: string) => `${providerConfig.id}/${name}`;

  const speechModels = async (): Promise<{ model: OnnxModelDirectory; type: string }[]> => {
    const found: { model: OnnxModelDirectory; type: string }[] = [];
    for (const model of await findOnnxModelDirectories(directories)) {
      try {
        const parsed = configSchema.safeParse(JSON.parse(await readFile(path.join(model.path, "config.json"), "utf8")));
        const type = parsed.success ? parsed.data.model_type : "";
        if (speechToTextTypes.has(type) || textToSpeechTypes.has(type)) found.push({ model, type });
      } catch {
        // Unreadable config.json: not a speech model this engine can judge.
      }
    }
    return found;
  };

  const prepare = (name: string) => async () => {
    const entry = (await speechModels()).find((candidate) => candidate.model.name === name);
    if (entry === undefined) throw errors.modelNotFound(modelId(name));
    return {
      estimatedBytes: entry.model.sizeBytes,
      load: async () => {
        try {
          // transformers.js loads on first use: a Station without local speech models never pays for it.
          if (textToSpeechTypes.has(entry.type)) {
            const { loadVits } = await import("./load-vits.ts");
            return await loadVits(entry.model.path, entry.model.sizeBytes, threads);
          }
          const { startSpeechToTextWorker } = await import("./start-speech-to-text-worker.ts");
          return await startSpeechToTextWorker({ directory: entry.model.path, sizeBytes: entry.model.sizeBytes, threads }, (error) => {
            options.logger.error({ model: modelId(name), err: error }, "local speech worker stopped; the model reloads on next use");
            void residency.unload(name);
          });
        } catch (error) {
          throw new StationError({
            code: "model_invalid",
            status: 422,
            param: "model",
            message: `The speech model '${modelId(name)}' could not be loaded: ${(error as Error).message}`,
            cause: error,
          });
        }
      },
    };
  };

  const transcriptionModel = (name: string): TranscriptionModel => ({
    id: modelId(name),
    async transcribe(request) {
      if (request.task === "translate")
        throw errors.unsupported(`The local model '${modelId(name)}' transcribes English only; it cannot translate`, "model");
      const handle = await residency.acquire(name, prepare(name));
      try {
        if (!("transcribe" in handle.model))
          throw errors.unsupported(`The model '${modelId(name)}' speaks; it cannot transcribe audio`, "model");
        const text = await handle.model.transcribe(request.audio.samples, request.signal);
        return { text: text.trim(), language: "en", durationSeconds: request.audio.durationSeconds };
      } finally {
        handle.release();
      }
    },
  });

  /** Sentence by sentence, so a long text starts playing after its first sentence is made. */
  const speechModel = (name: string): SpeechModel => ({
    id: modelId(name),
    async speak(request) {
      const handle = await residency.acquire(name, prepare(name));
      const model = handle.model;
      if (!("synthesize" in model)) {
        handle.release();
        throw errors.unsupported(`The model '${modelId(name)}' transcribes; it cannot speak`, "model");
      }
      const sentences =
        request.input
          .match(/[^.!?…\n]+[.!?…]*\s*/g)
          ?.map((sentence) => sentence.trim())
          .filter((sentence) => sentence !== "") ?? [];
      let first: Float32Array;
      try {
        first = await model.synthesize(sentences[0] ?? request.input, request.signal);
      } catch (error) {
        handle.release();
        throw error;
      }
      return {
        format: "pcm",
        sampleRate: model.sampleRate,
        chunks: (async function* () {
          try {
            yield floatToPcm16(first);
            for (const sentence of sentences.slice(1)) yield floatToPcm16(await model.synthesize(sentence, request.signal));
          } finally {
            handle.release();
          }
        })(),
      };
    },
  });

  return {
    id: providerConfig.id,
    type: "local-speech",
    async listModels(): Promise<ModelInfo[]> {
      const loaded = new Set(residency.entries().map((entry) => entry.name));
      return (await speechModels()).map(({ model, type }) => ({
        id: modelId(model.name),
        providerId: providerConfig.id,
        name: model.name,
        capabilities: textToSpeechTypes.has(type) ? ["speak"] : ["transcribe"],
        state: loaded.has(model.name) ? "loaded" : "not-loaded",
        metadata: { path: model.path, sizeBytes: model.sizeBytes, engine: "transformers.js", architecture: type },
      }));
    },
    async health() {
      return { status: "ok", detail: `${residency.entries().length} speech model(s) loaded` };
    },
    transcriptionModel,
    speechModel,
    async loadModel(name, loadOptions = {}) {
      await residency.preload(name, prepare(name), loadOptions.keepAliveMs);
    },
    async unloadModel(name) {
      await residency.unload(name);
    },
    runningModels(): RunningModel[] {
      return residency.entries().map((entry) => ({
        id: modelId(entry.name),
        providerId: providerConfig.id,
        name: entry.name,
        sizeBytes: entry.model.sizeBytes,
        contextSize: 0,
        threads,
        sequences: { total: 1, busy: entry.users, waiting: 0 },
        loadedAt: new Date(entry.loadedAt).toISOString(),
        lastUsedAt: new Date(entry.lastUsedAt).toISOString(),
        expiresAt: entry.expiresAt === undefined ? null : new Date(entry.expiresAt).toISOString(),
        keepAliveMs: entry.keepAliveMs,
      }));
    },
    close: () => residency.close(),
  };
}
