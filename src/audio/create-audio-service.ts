import type { StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { AudioService } from "./audio-service.ts";
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

  return {
    decoder,
    defaultModel,
    async transcribe(input) {
      const model = await pick(input.model, input.task);
      const transcriber = registry.transcriptionModel(model);
      const audio =
        input.audio ??
        (input.file === undefined
          ? (() => {
              throw errors.invalidRequest("No audio: send the file in a field named 'file'", "file");
            })()
          : await decoder.decode(input.file.data, input.file.fileName, input.signal));
      const result = await transcriber.transcribe({
        model,
        audio,
        task: input.task,
        ...(input.language === undefined ? {} : { language: input.language }),
        ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
        ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
        ...(input.timestamps === undefined ? {} : { timestamps: input.timestamps }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
      });
      return { model, audio, result };
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
