import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ChatInput } from "../../chat-core/chat-input.ts";
import { createEmbeddings } from "../../gateway/create-embeddings.ts";
import { type ContextOf, type OllamaFlavor, ollamaErrorLine } from "../../protocols/ollama/encode-ollama-stream.ts";
import { fromOllamaChat, fromOllamaGenerate } from "../../protocols/ollama/from-ollama-request.ts";
import { decodeGenerateContext, encodeGenerateContext } from "../../protocols/ollama/generate-context.ts";
import { ollamaApiVersion, ollamaRunningText } from "../../protocols/ollama/ollama-names.ts";
import {
  namedModel,
  type OllamaChatBody,
  type OllamaGenerateBody,
  ollamaChatBodySchema,
  ollamaCopyBodySchema,
  ollamaEmbedBodySchema,
  ollamaEmbeddingsBodySchema,
  ollamaGenerateBodySchema,
  ollamaNamedBodySchema,
} from "../../protocols/ollama/ollama-schemas.ts";
import { toOllamaRunning, toOllamaShow, toOllamaTag } from "../../protocols/ollama/to-ollama-model.ts";
import { toJsonSchema } from "../../protocols/to-json-schema.ts";
import type { Station } from "../../station/station.ts";
import { registerSurfaceErrors } from "../errors/register-surface-errors.ts";
import { createOriginAllowList } from "../guards/origin-allow-list.ts";
import { fastValidatorCompiler } from "../validation/compile-fast-validator.ts";
import { abortOnDisconnect } from "./abort-on-disconnect.ts";
import { OllamaCodec } from "./ollama-codec.ts";
import { replyWithChat } from "./reply-with-chat.ts";
import { writeGatewayReply } from "./write-gateway-reply.ts";

export interface OllamaRoutesOptions {
  station: Station;
  /** Serve GET|HEAD / too (on server.ollamaPort; on the main port the web UI owns /). */
  serveRoot?: boolean;
}

const chatJsonSchema = () => toJsonSchema(ollamaChatBodySchema);
const generateJsonSchema = () => toJsonSchema(ollamaGenerateBodySchema);
const tags = ["ollama"];

/**
 * Ollama's native API, field for field, over every Station model: /api/version, /api/tags,
 * /api/show, /api/ps, /api/chat and /api/generate (NDJSON streams by default, as Ollama does),
 * /api/embed, /api/embeddings, /api/pull, /api/delete, /api/copy. Errors are `{"error": "..."}`,
 * whatever else shares the /api prefix.
 */
export const ollamaRoutes: FastifyPluginAsync<OllamaRoutesOptions> = async (fastify, { station, serveRoot }) => {
  registerSurfaceErrors(fastify, (error) => ({ error: error.message }));
  // Ollama's browser origins (desktop apps, editors' webviews, local pages) on these routes only.
  const corsOrigins = createOriginAllowList(station.config.server.ollamaOrigins);
  fastify.addHook("onRoute", (route) => {
    route.config = { ...route.config, corsOrigins };
  });
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { registry, chatCore: core } = station;
  const models = station.ollamaModels;
  const embeddings = createEmbeddings(registry, station.config.defaults.embeddingModel);
  const modifiedAt = new Date(station.startedAt).toISOString();

  if (serveRoot === true) {
    app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.type("text/plain; charset=utf-8").send(ollamaRunningText));
  }

  app.get("/api/version", { schema: { tags, summary: "Ollama API version Station speaks" } }, async () => ({ version: ollamaApiVersion }));

  app.get("/api/tags", { schema: { tags, summary: "Models (Ollama shape, name:tag)" } }, async () => {
    await models.load();
    const listed = registry
      .list()
      .filter(
        (model) =>
          model.capabilities.length === 0 || model.capabilities.some((capability) => capability === "chat" || capability === "embeddings"),
      );
    const aliases = models.aliasEntries().flatMap(([alias, id]) => {
      const info = registry.get(id);
      return info === undefined ? [] : [{ ...toOllamaTag(info, modifiedAt), name: alias, model: alias }];
    });
    return { models: [...listed.map((model) => toOllamaTag(model, modifiedAt)), ...aliases] };
  });

  app.post(
    "/api/show",
    { schema: { tags, summary: "One model's details, capabilities, parameters, template", body: ollamaNamedBodySchema } },
    async (request) => {
      const { id, info } = await models.info(namedModel(request.body));
      return toOllamaShow(info, id, modifiedAt);
    },
  );

  app.get("/api/ps", { schema: { tags, summary: "Models loaded in memory (Ollama shape)" } }, async () => ({
    models: registry
      .providers()
      .flatMap((provider) => provider.runningModels?.() ?? [])
      .map((running) => toOllamaRunning(running, registry.get(running.id))),
  }));

  const converse = (
    request: FastifyRequest,
    reply: FastifyReply,
    flavor: OllamaFlavor,
    input: ChatInput,
    stream: boolean,
    model: string,
    contextOf?: ContextOf,
  ) => replyWithChat(request, reply, core, input, stream, new OllamaCodec(flavor, model, contextOf));

  /** An empty chat or prompt loads the model; with keep_alive 0 it unloads it (Ollama's rule). */
  const loadOrUnload = async (name: string, keepAlive: string | number | undefined) => {
    const { info } = await models.info(name);
    const provider = info === undefined ? undefined : registry.provider(info.providerId);
    const unload = keepAlive === 0 || keepAlive === "0" || keepAlive === "0s";
    if (unload) await provider?.unloadModel?.(info?.name ?? "");
    else await provider?.loadModel?.(info?.name ?? "");
    return unload ? "unload" : "load";
  };

  fastify.post(
    "/api/chat",
    {
      schema: { tags, summary: "Chat (NDJSON stream by default, or one JSON object)", body: ollamaChatBodySchema },
      validatorCompiler: fastValidatorCompiler(chatJsonSchema),
    },
    async (request, reply: FastifyReply) => {
      const body = request.body as OllamaChatBody;
      if (body.messages.length === 0) {
        const reason = await loadOrUnload(body.model, body.keep_alive);
        return {
          model: body.model,
          created_at: new Date().toISOString(),
          message: { role: "assistant", content: "" },
          done_reason: reason,
          done: true,
        };
      }
      return converse(
        request,
        reply,
        "chat",
        fromOllamaChat(body, models.knownName(body.model) ?? (await models.resolveFreshName(body.model))),
        body.stream !== false,
        body.model,
      );
    },
  );

  fastify.post(
    "/api/generate",
    {
      schema: {
        tags,
        summary: "Generate from a prompt (NDJSON stream by default; suffix for fill-in-the-middle)",
        body: ollamaGenerateBodySchema,
      },
      validatorCompiler: fastValidatorCompiler(generateJsonSchema),
    },
    async (request, reply: FastifyReply) => {
      const body = request.body as OllamaGenerateBody;
      if (body.prompt.length === 0 && (body.images ?? []).length === 0) {
        const reason = await loadOrUnload(body.model, body.keep_alive);
        return { model: body.model, created_at: new Date().toISOString(), response: "", done: true, done_reason: reason };
      }
      const earlier = decodeGenerateContext(body.context);
      // Ollama returns no context for raw prompts; a fill-in-the-middle reply continues nothing.
      const continues = body.raw !== true && (body.suffix === undefined || body.suffix.length === 0);
      const contextOf = continues
        ? (response: string) => encodeGenerateContext([...earlier, { prompt: body.prompt, response }])
        : undefined;
      const input = fromOllamaGenerate(body, models.knownName(body.model) ?? (await models.resolveFreshName(body.model)), earlier);
      return converse(request, reply, "generate", input, body.stream !== false, body.model, contextOf);
    },
  );

  app.post(
    "/api/embed",
    { schema: { tags, summary: "Embeddings for one or more inputs", body: ollamaEmbedBodySchema } },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      const body = request.body;
      const result = (await embeddings(
        {
          model: await models.resolveFreshName(body.model),
          input: body.input,
          ...(body.dimensions === undefined ? {} : { dimensions: body.dimensions }),
        },
        abortOnDisconnect(reply),
      )) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
      return {
        model: body.model,
        embeddings: result.data.map((entry) => entry.embedding),
        total_duration: Number(process.hrtime.bigint() - started),
        load_duration: 0,
        prompt_eval_count: result.usage.prompt_tokens,
      };
    },
  );

  app.post(
    "/api/embeddings",
    { schema: { tags, summary: "One embedding (Ollama's older endpoint)", body: ollamaEmbeddingsBodySchema } },
    async (request, reply) => {
      const body = request.body;
      const result = (await embeddings(
        { model: await models.resolveFreshName(body.model), input: body.prompt },
        abortOnDisconnect(reply),
      )) as {
        data: { embedding: number[] }[];
      };
      return { embedding: result.data[0]?.embedding ?? [] };
    },
  );

  app.post(
    "/api/pull",
    { schema: { tags, summary: "Pull a GGUF (hf:… or https:// URI) with NDJSON progress", body: ollamaNamedBodySchema } },
    async (request, reply) => {
      const uri = namedModel(request.body);
      const signal = abortOnDisconnect(reply);
      if (request.body.stream === false) {
        await models.pull(uri, noop, signal);
        return { status: "success" };
      }
      const lines: string[] = [];
      let wake: (() => void) | undefined;
      let finished = false;
      let failure: unknown;
      const push = (line: string) => {
        lines.push(line);
        wake?.();
      };
      // The first line waits for the URI check, so a bad name is an HTTP error, not a stream.
      const started = models
        .pull(uri, (progress) => push(`${JSON.stringify(progress)}\n`), signal)
        .then(
          () => {
            finished = true;
            wake?.();
          },
          (error: unknown) => {
            failure = error;
            finished = true;
            wake?.();
          },
        );
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (lines.length > 0 || finished) resolve();
      });
      if (failure !== undefined && lines.length <= 1) throw failure;
      async function* progress(): AsyncGenerator<string> {
        for (;;) {
          while (lines.length > 0) yield lines.shift() as string;
          if (finished) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        await started;
        if (failure !== undefined) throw failure;
      }
      return writeGatewayReply(request, reply, {
        status: 200,
        contentType: "application/x-ndjson",
        body: progress(),
        upstreamMs: 0,
        errorFrame: ollamaErrorLine,
        done: noop,
      });
    },
  );

  app.delete(
    "/api/delete",
    { schema: { tags, summary: "Delete a pulled GGUF (or an alias made by /api/copy)", body: ollamaNamedBodySchema } },
    async (request, reply) => {
      await models.delete(namedModel(request.body));
      return reply.send();
    },
  );

  app.post(
    "/api/copy",
    { schema: { tags, summary: "Another name for a model (an alias, stored: it survives restarts)", body: ollamaCopyBodySchema } },
    async (request, reply) => {
      await models.copy(request.body.source, request.body.destination);
      return reply.send();
    },
  );
};

function noop(): void {}
