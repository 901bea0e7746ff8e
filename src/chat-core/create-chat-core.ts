import type { ImageReader } from "../chat/read-images-for-blind-model.ts";
import { errors } from "../errors/errors.ts";
import { isStationError, StationError } from "../errors/station-error.ts";
import type { ModelRegistry, ResolvedModel } from "../models/model-registry.ts";
import type { ModelTarget } from "../models/resilience/model-target.ts";
import type { Cancellation } from "../net/cancellation.ts";
import type { ChatMessage, ChatModel, ChatRequest, ContentPart, StreamPart } from "../providers/spec/index.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { ChatInput, InputMessage, InputParams } from "./chat-input.ts";
import type { ChatGeneration, ChatStreamRun } from "./chat-run.ts";
import { generateThroughPassthrough } from "./generate-through-passthrough.ts";

export interface ChatCoreOptions {
  registry: ModelRegistry;
  intake: Pick<ImageIntake, "fromReference">;
  /** Reads images as text (OCR) for models that cannot see them. */
  readImagesForBlindModel: ImageReader;
  defaultModel?: string | undefined;
}

/**
 * The one surface-neutral chat operation every wire protocol's codec calls: it resolves the
 * model, checks what it can do (chat, tools, vision), takes the images in (a model that cannot see
 * gets them read by OCR instead), and runs the call through the resilience layer (retries,
 * fallback, breaker) until the first part is ready. Codecs only translate.
 */
export interface ChatCore {
  generate(input: ChatInput, cancellation: Cancellation): Promise<ChatGeneration>;
  stream(input: ChatInput, signal: AbortSignal): Promise<ChatStreamRun>;
  /** Resolves a model id (or defaults.chatModel) and checks that it can chat. */
  resolve(model: string | undefined, param?: string): Promise<{ modelId: string; resolved: ResolvedModel }>;
}

const defaultParams: InputParams = { model: "model", messages: "messages", tools: "tools" };

interface Prepared {
  modelId: string;
  resolved: ResolvedModel;
  request: Omit<ChatRequest, "model">;
  engineOptions: Record<string, unknown> | undefined;
}

/** Provider types whose adapters read Ollama-style `options` and `keep_alive`. */
const engineOptionTypes = new Set(["ollama", "llamacpp"]);

function requestFor(prepared: Prepared, target: ModelTarget): ChatRequest {
  const request: ChatRequest = { ...prepared.request, model: target.modelName };
  if (prepared.engineOptions !== undefined && engineOptionTypes.has(target.provider.type)) {
    request.providerOptions = { ...request.providerOptions, ...prepared.engineOptions };
  }
  return request;
}

export function createChatCore(options: ChatCoreOptions): ChatCore {
  const { registry } = options;

  const resolve = async (model: string | undefined, param = "model") => {
    const modelId = model ?? options.defaultModel;
    if (modelId === undefined) throw errors.invalidRequest(`'${param}' is required (and no defaults.chatModel is configured)`, param);
    let resolved: ResolvedModel;
    try {
      resolved = registry.lookup(modelId) ?? (await registry.resolve(modelId));
    } catch (error) {
      // The surface names its own model field (Ollama's `model`, a path parameter, ...).
      if (isStationError(error) && error.code === "model_not_found" && param !== "model") {
        throw new StationError({ code: error.code, status: error.status, message: error.message, param });
      }
      throw error;
    }
    const capabilities = resolved.info?.capabilities;
    if (capabilities !== undefined && capabilities.length > 0 && !capabilities.includes("chat")) {
      throw errors.unsupported(`The model '${modelId}' cannot chat (it offers: ${capabilities.join(", ")})`, param);
    }
    return { modelId, resolved };
  };

  const prepare = async (input: ChatInput, signal: () => AbortSignal): Promise<Prepared> => {
    const params = { ...defaultParams, ...input.params };
    const { modelId, resolved } = await resolve(input.model, params.model);
    const capabilities = resolved.info?.capabilities ?? [];
    const known = capabilities.length > 0;
    if (input.tools !== undefined && input.tools.length > 0) {
      if (known && !capabilities.includes("tools")) {
        throw errors.unsupported(`The model '${modelId}' does not support tools`, params.tools);
      }
      const choice = input.toolChoice;
      if (typeof choice === "object" && !input.tools.some((tool) => tool.name === choice.name)) {
        throw errors.invalidRequest(`tool_choice names '${choice.name}', which is not among the tools`, "tool_choice");
      }
    }
    const canSee = !known || capabilities.includes("vision");
    const messages = await Promise.all(input.messages.map((message) => takeImagesIn(message, canSee, params.messages, signal)));
    const { model: _model, messages: _messages, params: _params, engineOptions, ...rest } = input;
    return { modelId, resolved, request: { ...rest, messages }, engineOptions };
  };

  const takeImagesIn = async (message: InputMessage, canSee: boolean, param: string, signal: () => AbortSignal): Promise<ChatMessage> => {
    if (typeof message.content === "string" || !message.content.some((part) => part.type === "image-reference")) {
      return message as ChatMessage;
    }
    const parts: ContentPart[] = await Promise.all(
      message.content.map(async (part): Promise<ContentPart> => {
        if (part.type === "text") return part;
        const reference = part.url ?? part.base64 ?? "";
        return (await options.intake.fromReference(reference, part.param)).part;
      }),
    );
    if (canSee) return { ...message, content: parts };
    try {
      return { ...message, content: await options.readImagesForBlindModel(parts, signal()) };
    } catch (error) {
      if (isStationError(error) && error.code === "model_cannot_see_images") {
        throw new StationError({ code: error.code, status: error.status, message: error.message, param });
      }
      throw error;
    }
  };

  const chatModelOf = (target: ModelTarget): ChatModel => {
    const model = target.provider.chatModel?.(target.modelName);
    if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot chat`, "model");
    return model;
  };

  return {
    resolve,

    async generate(input, cancellation) {
      const prepared = await prepare(input, () => cancellation.signal);
      const started = performance.now();
      // The attempt is an inline arrow: tsx's keepNames wraps a named one on every request.
      const delivered = await registry.call(
        prepared.resolved.targets,
        async (target, remainingMs) => {
          const passthrough = target.provider.openAiPassthrough;
          const request = requestFor(prepared, target);
          // OpenAI-compatible upstreams: one whole-reply exchange, no AbortController (see docs/architecture.md).
          if (passthrough !== undefined)
            return generateThroughPassthrough(passthrough, request, target.provider.id, cancellation, remainingMs);
          return chatModelOf(target).generate({ ...request, signal: cancellation.signal });
        },
        { operation: "chat", signal: cancellation },
      );
      delivered.done();
      return { modelId: prepared.modelId, info: prepared.resolved.info, result: delivered.value, upstreamMs: performance.now() - started };
    },

    async stream(input, signal) {
      const prepared = await prepare(input, () => signal);
      const started = performance.now();
      const delivered = await registry.call(
        prepared.resolved.targets,
        async (target) => {
          const rest = chatModelOf(target)
            .stream({ ...requestFor(prepared, target), signal })
            [Symbol.asyncIterator]();
          const first = await rest.next();
          if (!first.done && first.value.type === "error") throw first.value.error;
          return { first, rest };
        },
        { operation: "stream", signal },
      );
      const upstreamMs = performance.now() - started;
      const { first, rest } = delivered.value;
      return {
        modelId: prepared.modelId,
        info: prepared.resolved.info,
        parts: replay(first, rest),
        upstreamMs,
        done: delivered.done,
      };
    },
  };
}

async function* replay(first: IteratorResult<StreamPart>, rest: AsyncIterator<StreamPart>): AsyncGenerator<StreamPart> {
  try {
    let part = first;
    while (!part.done) {
      yield part.value;
      if (part.value.type === "finish" || part.value.type === "error") return;
      part = await rest.next();
    }
  } finally {
    // A consumer that stops early (client gone) closes the provider's stream too.
    await rest.return?.();
  }
}
