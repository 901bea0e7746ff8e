import path from "node:path";
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";
import { huggingFaceAuthorization } from "../../providers/download/hugging-face-authorization.ts";
import { isMoonfileUri } from "../../providers/moonfile/pull-moonfile.ts";
import { type LocalSpeechProviderConfig, localSpeechModelsDirectories } from "../../providers/speech/create-local-speech-provider.ts";
import { type LocalVisionProviderConfig, localVisionModelsDirectories } from "../../providers/transformers/create-local-vision-provider.ts";
import { onnxDtypes } from "../../providers/transformers/onnx-dtypes.ts";
import {
  isRepositoryUri,
  type OnnxModelKind,
  type PullOnnxRepositoryResult,
  type PullProgress,
  pullOnnxRepository,
} from "../../providers/transformers/pull-onnx-repository.ts";
import type { Station } from "../../station/station.ts";
import { abortOnDisconnect } from "./abort-on-disconnect.ts";
import { pullMoonfileForApi } from "./pull-moonfile-for-api.ts";
import type { SseEvent } from "./write-sse-events.ts";
import { writeSseEvents } from "./write-sse-events.ts";

const pullBody = z.strictObject({
  model: z
    .string()
    .min(1)
    .describe(
      'A Hugging Face ONNX repository, "hf:<user>/<repo>" (e.g. "hf:onnx-community/Florence-2-base-ft"), or a Moondream .mf / .mf.gz: a path on the server, an http(s) URL or "hf:<user>/<repo>/<file>.mf.gz"',
    ),
  dtype: z
    .enum(["auto", ...onnxDtypes.map((entry) => entry.dtype)])
    .default("auto")
    .describe("precision of the ONNX graphs; auto = fp32 if present, else the next the repository has"),
  stream: z.boolean().default(true).describe("stream progress as server-sent events (progress, done, error); false = one JSON reply"),
});

const pullResult = z.object({
  model: z.string(),
  path: z.string(),
  family: z.string(),
  dtype: z.string(),
  files: z.array(z.string()),
  sizeBytes: z.number(),
  alreadyPresent: z.boolean(),
});

/**
 * POST /v1/system/models/pull: downloads a Hugging Face ONNX vision repository into the local
 * vision provider's models directory (only from the configured Hugging Face endpoint, so the
 * API cannot be pointed at arbitrary hosts), then refreshes the registry so the model serves at once.
 */
export const systemPullRoutes: FastifyPluginAsync<{ station: Station }> = async (plainApp, { station }) => {
  const app = plainApp.withTypeProvider<ZodTypeProvider>();
  const { config } = station;

  const pull = async (body: z.infer<typeof pullBody>, onProgress: (progress: PullProgress) => void, signal: AbortSignal) => {
    const moonfile = isMoonfileUri(body.model);
    if (!isRepositoryUri(body.model) && !moonfile) {
      throw errors.invalidRequest(
        "'model' must name a Hugging Face ONNX repository (hf:<user>/<repo>) or a Moondream .mf / .mf.gz file (GGUF files: bin/station pull)",
        "model",
      );
    }
    const vision = config.providers?.find((provider): provider is LocalVisionProviderConfig => provider.type === "local-vision");
    const speech = config.providers?.find((provider): provider is LocalSpeechProviderConfig => provider.type === "local-speech");
    const dataModels = path.join(config.dataDir, "models");
    if (moonfile) {
      if (vision === undefined) throw errors.unsupported("No local-vision provider is configured to serve a pulled model", "model");
      const directory = localVisionModelsDirectories(vision, config)[0] ?? path.join(config.dataDir, "models");
      const file =
        body.model
          .replace(/[?#].*$/, "")
          .split("/")
          .at(-1) ?? body.model;
      const pulled = await pullMoonfileForApi(
        station,
        body.model,
        directory,
        (completedBytes, totalBytes) => onProgress({ file, completedBytes, totalBytes: totalBytes ?? 0 }),
        signal,
      );
      await station.registry.refresh(vision.id);
      return {
        model: `${vision.id}/${pulled.modelName}`,
        path: pulled.path,
        family: "moondream-mf",
        dtype: "mf",
        files: [file],
        sizeBytes: pulled.sizeBytes,
        alreadyPresent: pulled.alreadyPresent,
      };
    }
    // A provider of the model's kind must be there to serve it: known once its config.json is read.
    const providerFor = (kind: OnnxModelKind): { id: string; directory: string } => {
      if (kind === "speech") {
        if (speech === undefined)
          throw errors.unsupported("No local-speech provider is configured to serve a pulled speech model", "model");
        return { id: speech.id, directory: localSpeechModelsDirectories(speech, config)[0] ?? dataModels };
      }
      if (vision === undefined) throw errors.unsupported("No local-vision provider is configured to serve a pulled model", "model");
      return { id: vision.id, directory: localVisionModelsDirectories(vision, config)[0] ?? dataModels };
    };
    const result: PullOnnxRepositoryResult = await pullOnnxRepository({
      uri: body.model,
      // config.json is staged before the kind is known: in the vision directory, or wherever a provider looks.
      directory: (kind) =>
        kind !== undefined
          ? providerFor(kind).directory
          : vision !== undefined
            ? providerFor("vision").directory
            : speech !== undefined
              ? providerFor("speech").directory
              : dataModels,
      dtype: body.dtype,
      huggingFaceEndpoint: config.huggingFace.endpoint,
      ...huggingFaceAuthorization(body.model, config.huggingFace.token),
      onProgress,
      signal,
    });
    const { id } = providerFor(result.kind);
    await station.registry.refresh(id);
    const { kind: _kind, ...described } = result;
    return { ...described, model: `${id}/${result.modelName}` };
  };

  app.post(
    "/v1/system/models/pull",
    {
      schema: {
        tags: ["system"],
        summary: "Download a Hugging Face ONNX vision or speech repository or a Moondream .mf (progress as server-sent events)",
        body: pullBody,
        response: { 200: pullResult },
      },
    },
    async (request, reply) => {
      if (!request.body.stream) {
        // Not the request's 'close': Node emits it once the body has been read, which aborted every pull at once.
        const { path: modelPath, ...result } = await pull(request.body, () => undefined, abortOnDisconnect(reply));
        return { ...result, path: modelPath };
      }
      await writeSseEvents(request, reply, (signal) => progressEvents(request.body, pull, signal));
      return reply;
    },
  );
};

type Pull = (
  body: z.infer<typeof pullBody>,
  onProgress: (progress: PullProgress) => void,
  signal: AbortSignal,
) => Promise<Record<string, unknown>>;

/** The pull as a stream of events: `progress` (at most one per 1 % step), then `done` or `error`. */
async function* progressEvents(body: z.infer<typeof pullBody>, pull: Pull, signal: AbortSignal): AsyncIterable<SseEvent> {
  const queue: SseEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let lastPercent = -1;
  const push = (event: SseEvent) => {
    queue.push(event);
    wake?.();
  };
  void pull(
    body,
    (progress) => {
      const percent = progress.totalBytes > 0 ? Math.floor((progress.completedBytes / progress.totalBytes) * 100) : 0;
      if (percent === lastPercent) return;
      lastPercent = percent;
      push({ type: "progress", data: { file: progress.file, completed: progress.completedBytes, total: progress.totalBytes, percent } });
    },
    signal,
  )
    .then(
      (result) => push({ type: "done", data: result }),
      (error: unknown) => {
        const known = error instanceof StationError ? error : undefined;
        push({
          type: "error",
          data: { code: known?.code ?? "internal_error", message: known?.message ?? "Internal server error" },
        });
      },
    )
    .finally(() => {
      finished = true;
      wake?.();
    });
  while (true) {
    const next = queue.shift();
    if (next !== undefined) {
      yield next;
      continue;
    }
    if (finished) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
}
