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
import type {
  ModelInfo,
  Provider,
  RunningModel,
  SpeechModel,
  TranscriptionModel,
  TranscriptionRequest,
  TranscriptionResult,
  TranscriptionStreamPart,
} from "../spec/index.ts";
import { streamFromCallback } from "../stream-from-callback.ts";
import { findOnnxModelDirectories, type OnnxModelDirectory } from "../transformers/find-onnx-model-directories.ts";
import { localVisionThreadCount } from "../transformers/local-vision-thread-count.ts";
import { runnableSpeechTypes, speechFamilyOf } from "../transformers/speech-families.ts";
import type { TextToSpeechResident } from "./load-vits.ts";
import type { SpeechToTextOutput, SpeechToTextResident } from "./speech-to-text-resident.ts";
import { readWhisperGenerationConfig, whisperTranslates } from "./whisper-generation-config.ts";
import { whisperDecoderOutputNames, wordTimestampsPossible } from "./whisper-word-timestamps.ts";

export type LocalSpeechProviderConfig = Extract<ProviderConfig, { type: "local-speech" }>;

/** Speech architectures this engine runs, by config.json's model_type. */
const speechToTextTypes = runnableSpeechTypes("transcribe");
const textToSpeechTypes = runnableSpeechTypes("speak");

type LocalSpeechResident = SpeechToTextResident | TextToSpeechResident;
const configSchema = z.looseObject({ model_type: z.string() });

interface LocalSpeechModel {
  model: OnnxModelDirectory;
  type: string;
  runner: "moonshine" | "whisper" | "vits";
  /** Language codes it transcribes (Moonshine: English; Whisper: its language tokens). */
  languages: ReadonlySet<string>;
  translates: boolean;
  /** Word timestamps: a Whisper whose decoder returns cross-attentions and whose generation config names alignment heads. */
  wordTimestamps: boolean;
}

const english: ReadonlySet<string> = new Set(["en"]);

/** Where the provider looks for models: its modelsDir first (pulls go there), then <dataDir>/models. */
export function localSpeechModelsDirectories(providerConfig: LocalSpeechProviderConfig, config: StationConfig): string[] {
  const dataModels = path.join(config.dataDir, "models");
  return [...new Set([...(providerConfig.modelsDir === undefined ? [] : [path.resolve(providerConfig.modelsDir)]), dataModels])];
}

/**
 * The `local-speech` provider: Hugging Face ONNX speech repositories (Moonshine and Whisper to
 * transcribe, in a worker thread; Whisper also translates; VITS to speak) in the models
 * directories, run in-process by transformers.js on
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

  const speechModels = async (): Promise<LocalSpeechModel[]> => {
    const found: LocalSpeechModel[] = [];
    for (const model of await findOnnxModelDirectories(directories)) {
      try {
        const parsed = configSchema.safeParse(JSON.parse(await readFile(path.join(model.path, "config.json"), "utf8")));
        const type = parsed.success ? parsed.data.model_type : "";
        const runner = speechFamilyOf(type)?.[1].runner;
        if (runner === undefined || !(speechToTextTypes.has(type) || textToSpeechTypes.has(type))) continue;
        if (runner !== "whisper") {
          found.push({ model, type, runner, languages: english, translates: false, wordTimestamps: false });
          continue;
        }
        const generation = await readWhisperGenerationConfig(model.path);
        const translates = whisperTranslates(generation);
        const languages = translates ? new Set(Object.keys(generation.lang_to_id ?? {}).map((token) => token.slice(2, -2))) : english;
        const wordTimestamps = wordTimestampsPossible(generation, await whisperDecoderOutputNames(model.path, model.modifiedMs));
        found.push({ model, type, runner, languages, translates, wordTimestamps });
      } catch {
        // Unreadable config.json or generation_config.json: not a speech model this engine can judge.
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
          const runner = entry.runner === "whisper" ? "whisper" : "moonshine";
          const data = { runner, directory: entry.model.path, sizeBytes: entry.model.sizeBytes, threads } as const;
          return await startSpeechToTextWorker(data, (error) => {
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

  /** Refuses, before anything loads, what the model cannot do: translation, a language it lacks, word timestamps (a Whisper without cross-attention outputs). */
  const checkTranscription = async (name: string, request: TranscriptionRequest): Promise<string | undefined> => {
    const entry = (await speechModels()).find((candidate) => candidate.model.name === name);
    if (entry === undefined) throw errors.modelNotFound(modelId(name));
    if (entry.runner === "vits") throw errors.unsupported(`The model '${modelId(name)}' speaks; it cannot transcribe audio`, "model");
    if (request.task === "translate" && !entry.translates)
      throw errors.unsupported(
        entry.runner === "whisper"
          ? `The local model '${modelId(name)}' is an English-only Whisper; it cannot translate (a multilingual Whisper such as whisper-tiny can)`
          : `The local model '${modelId(name)}' transcribes English only; it cannot translate (a multilingual Whisper can)`,
        "model",
      );
    if (request.timestamps?.includes("word") && !entry.wordTimestamps)
      throw errors.unsupported(
        `The local model '${modelId(name)}' gives segment timestamps only, not word timestamps: ask for timestamp_granularities ['segment']`,
        "timestamp_granularities",
      );
    // "pt-BR" is Whisper's "pt".
    const language = request.language?.toLowerCase().split("-")[0];
    if (language !== undefined && !entry.languages.has(language))
      throw errors.invalidRequest(
        `The local model '${modelId(name)}' does not transcribe language '${request.language}' (it knows ${[...entry.languages].slice(0, 12).join(", ")}${entry.languages.size > 12 ? ", ..." : ""})`,
        "language",
      );
    return language;
  };

  /** The output as the spec's result: translations are English, the duration is the decoded audio's. */
  const resultOf = (request: TranscriptionRequest, output: SpeechToTextOutput): TranscriptionResult => ({
    text: output.text.trim(),
    language: request.task === "translate" ? "en" : output.language,
    durationSeconds: request.audio.durationSeconds,
    ...(output.segments === undefined ? {} : { segments: output.segments }),
    ...(output.words === undefined ? {} : { words: output.words }),
  });

  /** Runs one transcription on the loaded model (loading it first), with its pieces to `onText` when given. */
  const transcribeWith = async (
    name: string,
    request: TranscriptionRequest,
    onText?: (text: string) => void,
  ): Promise<TranscriptionResult> => {
    const language = await checkTranscription(name, request);
    const handle = await residency.acquire(name, prepare(name));
    try {
      if (!("transcribe" in handle.model))
        throw errors.unsupported(`The model '${modelId(name)}' speaks; it cannot transcribe audio`, "model");
      const output = await handle.model.transcribe(
        {
          samples: request.audio.samples,
          task: request.task,
          ...(language === undefined ? {} : { language }),
          ...(request.prompt === undefined ? {} : { prompt: request.prompt }),
          // A streamed transcript is text only (OpenAI's transcript events carry no timestamps).
          timestamps: onText === undefined && (request.timestamps?.includes("segment") ?? false),
          words: onText === undefined && (request.timestamps?.includes("word") ?? false),
        },
        request.signal,
        onText,
      );
      return resultOf(request, output);
    } finally {
      handle.release();
    }
  };

  const transcriptionModel = (name: string): TranscriptionModel => ({
    id: modelId(name),
    transcribe: (request) => transcribeWith(name, request),
    /**
     * The decoder's text pieces across the worker boundary as they are made. The model stays
     * held until the worker's run has ended: a consumer that leaves early aborts it through the
     * request's signal, and the run is awaited (not left running) before the model is let go.
     */
    async *transcribeStream(request) {
      let result: TranscriptionResult | undefined;
      yield* mapPieces(
        streamFromCallback(async (onText) => {
          result = await transcribeWith(name, request, onText);
        }),
      );
      if (result !== undefined) yield { type: "finish", result };
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
      return (await speechModels()).map(({ model, type, translates, wordTimestamps }) => ({
        id: modelId(model.name),
        providerId: providerConfig.id,
        name: model.name,
        capabilities: textToSpeechTypes.has(type) ? ["speak"] : translates ? ["transcribe", "translate"] : ["transcribe"],
        state: loaded.has(model.name) ? "loaded" : "not-loaded",
        metadata: {
          path: model.path,
          sizeBytes: model.sizeBytes,
          engine: "transformers.js",
          architecture: type,
          ...(speechToTextTypes.has(type) ? { wordTimestamps } : {}),
        },
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

async function* mapPieces(pieces: AsyncIterable<string>): AsyncGenerator<TranscriptionStreamPart> {
  for await (const delta of pieces) yield { type: "text-delta", delta };
}
