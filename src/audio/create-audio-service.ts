import type { StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { TranscriptionRequest } from "../providers/spec/index.ts";
import type { AudioService, TranscribeInput } from "./audio-service.ts";
import { createAudioDecoder } from "./create-audio-decoder.ts";
import { encodeSpeech, speechContentTypes } from "./encode-speech.ts";

export interface AudioServiceOptions {
  config: Pick<StationConfig, "audio" | "defaults">;
  registry: ModelRegistry;
}

export function createAudioService({ config, registry }: AudioServiceOptions): AudioService {
  const decoder = createAudioDecoder(config.audio);
  const ffmpeg = { ffmpegPath: config.audio.ffmpegPath, timeoutMs: config.audio.ffmpegTimeoutMs };

  /** A translation without a model: the configured transcriber, else a model that translates, else any transcriber (which says why not). */
  const defaultModel = (kind: "transcribe" | "translate" | "speak"): string | undefined => {
    const configured = kind === "speak" ? config.defaults.speechModel : config.defaults.transcriptionModel;
    if (configured !== undefined) return configured;
    const models = registry.list();
    return (
      models.find((model) => model.capabilities.includes(kind))?.id ??
      (kind === "translate" ? models.find((model) => model.capabilities.includes("transcribe"))?.id : undefined)
    );
  };

  const pick = async (requested: string | undefined, kind: "transcribe" | "translate" | "speak"): Promise<string> => {
    const id = requested ?? defaultModel(kind);
    if (id === undefined) {
      const what = kind === "speak" ? "text-to-speech" : "speech-to-text";
      throw errors.invalidRequest(
        `No ${what} model is available: name one in 'model', set defaults.${kind === "speak" ? "speechModel" : "transcriptionModel"}, or add a provider that has one`,
        "model",
      );
    }
    // Throws model_not_found; whether its provider can do `kind` is the registry's check.
    await registry.resolve(id);
    return id;
  };

  /** The model picked (one that cannot transcribe is refused first), the audio decoded (a bad file is a 400 here), the request to it. */
  const prepareTranscription = async (input: TranscribeInput) => {
    const model = await pick(input.model, input.task);
    const transcriber = registry.transcriptionModel(model);
    const audio =
      input.audio ??
      (input.file === undefined
        ? (() => {
            throw errors.invalidRequest("No audio: send the file in a field named 'file'", "file");
          })()
        : await decoder.decode(input.file.data, input.file.fileName, input.signal));
    const request: TranscriptionRequest = {
      model,
      audio,
      task: input.task,
      ...(input.language === undefined ? {} : { language: input.language }),
      ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
      ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
      ...(input.timestamps === undefined ? {} : { timestamps: input.timestamps }),
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    };
    return { model, audio, transcriber, request };
  };

  return {
    decoder,
    defaultModel,
    async transcribe(input) {
      const { model, audio, transcriber, request } = await prepareTranscription(input);
      return { model, audio, result: await transcriber.transcribe(request) };
    },
    async transcribeStream(input) {
      const { model, audio, transcriber, request } = await prepareTranscription(input);
      const parts = transcriber.transcribeStream?.(request);
      if (parts === undefined) throw errors.unsupported(`The model '${model}' cannot stream its transcript: leave out 'stream'`, "stream");
      return { model, audio, parts: await startedStream(parts) };
    },
    async speak(input) {
      const model = await pick(input.model, "speak");
      const speaker = registry.speechModel(model);
      const audio = await speaker.speak({
        model,
        input: input.input,
        format: input.format,
        ...(input.voice === undefined ? {} : { voice: input.voice }),
        ...(input.speed === undefined ? {} : { speed: input.speed }),
        ...(input.instructions === undefined ? {} : { instructions: input.instructions }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
      });
      return { model, contentType: speechContentTypes[input.format], chunks: encodeSpeech(audio, input.format, ffmpeg) };
    },
  };
}

/** Waits for a stream's first part, then gives back the whole stream (that part first); a failure before it rejects. */
async function startedStream<T>(parts: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = parts[Symbol.asyncIterator]();
  const first = await iterator.next();
  return (async function* () {
    try {
      let part = first;
      while (part.done !== true) {
        yield part.value;
        part = await iterator.next();
      }
    } finally {
      await iterator.return?.();
    }
  })();
}
