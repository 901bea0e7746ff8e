import type { ImageReader } from "../chat/read-images-for-blind-model.ts";
import { errors } from "../errors/errors.ts";
import { isStationError, StationError } from "../errors/station-error.ts";
import type { ModelRegistry, ResolvedModel } from "../models/model-registry.ts";
import type { ModelTarget } from "../models/resilience/model-target.ts";
import { Cancellation } from "../net/cancellation.ts";
import type { ChatMessage, ChatModel, ChatRequest, ContentPart, ModelInfo, StreamPart } from "../providers/spec/index.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { ChatInput, InputMessage, InputParams } from "./chat-input.ts";
import type { ChatRelay, PreparedImages, RelayedRun } from "./chat-relay.ts";
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
 * fallback, breaker) until the first part is ready. Codecs only translate; one whose clients speak
 * a protocol an upstream speaks natively may relay its own body there (`relay`).
 */
export interface ChatCore {
  generate(input: ChatInput, cancellation: Cancellation): Promise<ChatGeneration>;
  generate<R>(input: ChatInput, cancellation: Cancellation, relay: ChatRelay<R>): Promise<ChatGeneration | RelayedRun<R>>;
  stream(input: ChatInput, signal: AbortSignal | Cancellation): Promise<ChatStreamRun>;
  stream<R>(input: ChatInput, signal: AbortSignal | Cancellation, relay: ChatRelay<R>): Promise<ChatStreamRun | RelayedRun<R>>;
  /**
   * Resolves a model id (or defaults.chatModel) and checks that it can chat; with `imageTurns`
   * (a caller whose turns carry images) a vision-only model passes as well.
   */
  resolve(
    model: string | undefined,
    param?: string,
    options?: { imageTurns?: boolean },
  ): Promise<{ modelId: string; resolved: ResolvedModel }>;
  /**
   * Everything a call would check before reaching a model (resolution, capabilities, images and
   * their reading for a model that cannot see), without the call: for turns that must fail with a
   * 4xx before anything is stored. `id` is the resolved id (a bare name becomes "<provider>/<model>").
   */
  check(input: ChatInput, signal?: AbortSignal): Promise<{ id: string; info: ModelInfo | undefined }>;
}

const defaultParams: InputParams = { model: "model", messages: "messages", tools: "tools" };

interface Prepared {
  modelId: string;
  resolved: ResolvedModel;
  input: ChatInput;
  messages: ChatMessage[];
  images: PreparedImages | undefined;
}

/** Provider types whose adapters read Ollama-style `options` and `keep_alive`. */
const engineOptionTypes = new Set(["ollama", "llamacpp"]);

/** The ChatRequest fields a ChatInput carries as they are (requestFor copies each one). */
type CopiedField =
  | "tools"
  | "toolChoice"
  | "temperature"
  | "topP"
  | "topK"
  | "maxTokens"
  | "stop"
  | "seed"
  | "presencePenalty"
  | "frequencyPenalty"
  | "responseFormat"
  | "providerOptions";
// Fails to compile when ChatRequest gains a field requestFor does not copy.
const everyFieldCopied: Exclude<keyof ChatRequest, CopiedField | "model" | "messages" | "signal"> extends never ? true : never = true;
void everyFieldCopied;

/**
 * One attempt's request, its fields copied one by one: a rest-and-spread copy of the input went
 * through V8's generic property-copying builtins on every translated request (~2.5 k instructions
 * of callgrind's count), and the inputs' shapes differ per surface.
 */
function requestFor(prepared: Prepared, target: ModelTarget): ChatRequest {
  const { input } = prepared;
  const request: ChatRequest = { model: target.modelName, messages: prepared.messages };
  if (input.tools !== undefined) request.tools = input.tools;
  if (input.toolChoice !== undefined) request.toolChoice = input.toolChoice;
  if (input.temperature !== undefined) request.temperature = input.temperature;
  if (input.topP !== undefined) request.topP = input.topP;
  if (input.topK !== undefined) request.topK = input.topK;
  if (input.maxTokens !== undefined) request.maxTokens = input.maxTokens;
  if (input.stop !== undefined) request.stop = input.stop;
  if (input.seed !== undefined) request.seed = input.seed;
  if (input.presencePenalty !== undefined) request.presencePenalty = input.presencePenalty;
  if (input.frequencyPenalty !== undefined) request.frequencyPenalty = input.frequencyPenalty;
  if (input.responseFormat !== undefined) request.responseFormat = input.responseFormat;
  if (input.providerOptions !== undefined) request.providerOptions = input.providerOptions;
  const { engineOptions } = input;
  if (engineOptions !== undefined && engineOptionTypes.has(target.provider.type)) {
    request.providerOptions = { ...request.providerOptions, ...engineOptions };
  }
  return request;
}

/** A cheap scan: most requests carry no image. */
function hasImages(messages: readonly InputMessage[]): boolean {
  for (const message of messages) {
    if (typeof message.content !== "string") for (const part of message.content) if (part.type !== "text") return true;
  }
  return false;
}

function relayed<R>(value: R): { relayed: R } {
  return { relayed: value };
}

export function createChatCore(options: ChatCoreOptions): ChatCore {
  const { registry } = options;

  const resolveModel = async (model: string | undefined, param: string) => {
    const modelId = model ?? options.defaultModel;
    if (modelId === undefined) throw errors.invalidRequest(`'${param}' is required (and no defaults.chatModel is configured)`, param);
    try {
      return { modelId, resolved: registry.lookup(modelId) ?? (await registry.resolve(modelId)) };
    } catch (error) {
      // The surface names its own model field (Ollama's `model`, a path parameter, ...).
      if (isStationError(error) && error.code === "model_not_found" && param !== "model") {
        throw new StationError({ code: error.code, status: error.status, message: error.message, param });
      }
      throw error;
    }
  };

  /** A vision-only model (a local Florence-2) answers a chat turn that carries an image. */
  const requireChat = (modelId: string, resolved: ResolvedModel, param: string, imageTurn: boolean) => {
    const capabilities = resolved.info?.capabilities;
    if (capabilities === undefined || capabilities.length === 0 || capabilities.includes("chat")) return;
    if (imageTurn && capabilities.includes("vision")) return;
    throw errors.unsupported(`The model '${modelId}' cannot chat (it offers: ${capabilities.join(", ")})`, param);
  };

  const resolve = async (model: string | undefined, param = "model", resolveOptions: { imageTurns?: boolean } = {}) => {
    const found = await resolveModel(model, param);
    requireChat(found.modelId, found.resolved, param, resolveOptions.imageTurns === true);
    return found;
  };

  /**
   * Synchronous for the common request (a model the registry already knows, no image): a relayed
   * call then waits on nothing but its upstream (each promise and await on the hot path costs).
   */
  const prepare = (input: ChatInput, signal: () => AbortSignal | undefined): Prepared | Promise<Prepared> => {
    const params = input.params === undefined ? defaultParams : { ...defaultParams, ...input.params };
    const modelId = input.model ?? options.defaultModel;
    const known = modelId === undefined ? undefined : registry.lookup(modelId);
    if (modelId !== undefined && known !== undefined) return prepareResolved(input, params, modelId, known, signal);
    return resolveModel(input.model, params.model).then((found) => prepareResolved(input, params, found.modelId, found.resolved, signal));
  };

  const prepareResolved = (
    input: ChatInput,
    params: InputParams,
    modelId: string,
    resolved: ResolvedModel,
    signal: () => AbortSignal | undefined,
  ): Prepared | Promise<Prepared> => {
    const withImages = hasImages(input.messages);
    requireChat(modelId, resolved, params.model, withImages);
    const capabilities = resolved.info?.capabilities ?? [];
    const known = capabilities.length > 0;
    if (input.tools !== undefined && input.tools.length > 0) {
      if (known && !capabilities.includes("tools") && input.stationTools !== true) {
        throw errors.unsupported(`The model '${modelId}' does not support tools`, params.tools);
      }
      const choice = input.toolChoice;
      if (typeof choice === "object" && !input.tools.some((tool) => tool.name === choice.name)) {
        throw errors.invalidRequest(`tool_choice names '${choice.name}', which is not among the tools`, "tool_choice");
      }
    }
    if (!withImages) return { modelId, resolved, input, messages: input.messages as ChatMessage[], images: undefined };
    const canSee = !known || capabilities.includes("vision");
    return Promise.all(input.messages.map((message) => takeImagesIn(message, { modelId, canSee, param: params.messages, signal }))).then(
      (messages) => ({ modelId, resolved, input, messages, images: { messages, read: !canSee } }),
    );
  };

  const takeImagesIn = async (
    message: InputMessage,
    context: { modelId: string; canSee: boolean; param: string; signal: () => AbortSignal | undefined },
  ): Promise<ChatMessage> => {
    if (typeof message.content === "string" || message.content.every((part) => part.type === "text")) return message as ChatMessage;
    const parts: ContentPart[] = await Promise.all(
      message.content.map(async (part): Promise<ContentPart> => {
        if (part.type !== "image-reference") return part;
        const reference = part.url ?? part.base64 ?? "";
        return (await options.intake.fromReference(reference, part.param, context.signal())).part;
      }),
    );
    if (context.canSee) return { ...message, content: parts };
    try {
      return { ...message, content: await options.readImagesForBlindModel(parts, context.signal()) };
    } catch (error) {
      if (isStationError(error) && error.code === "model_cannot_see_images") {
        throw new StationError({
          code: error.code,
          status: error.status,
          message: `The model '${context.modelId}' does not accept images and no local vision or OCR model is available to read them: send images to a vision model (GET /api/models?capability=vision lists them)`,
          param: context.param,
        });
      }
      throw error;
    }
  };

  const chatModelOf = (target: ModelTarget): ChatModel => {
    const model = target.provider.chatModel?.(target.modelName);
    if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot chat`, "model");
    return model;
  };

  async function generate<R>(input: ChatInput, cancellation: Cancellation, relay?: ChatRelay<R>) {
    const preparing = prepare(input, () => cancellation.signal);
    const prepared = preparing instanceof Promise ? await preparing : preparing;
    const started = performance.now();
    // The attempt is an inline arrow (tsx's keepNames wraps a named one on every request), and
    // not async: it hands back the promise it waits on (resilience.call awaits it, a throw included).
    const delivered = await registry.call(
      prepared.resolved.targets,
      (target, remainingMs, call): Promise<ChatGeneration["result"] | { relayed: R }> => {
        const native = relay?.passthroughOf(target.provider, prepared.images);
        if (native !== undefined && relay !== undefined)
          return relay.attempt(native, target, prepared.images, remainingMs, call).then(relayed);
        const passthrough = target.provider.openAiPassthrough;
        const request = requestFor(prepared, target);
        // OpenAI-compatible upstreams: one whole-reply exchange, no AbortController (see docs/architecture.md).
        if (passthrough !== undefined) return generateThroughPassthrough(passthrough, request, target.provider.id, call, remainingMs);
        return chatModelOf(target).generate({ ...request, signal: call.signal });
      },
      { operation: "chat", signal: cancellation },
    );
    delivered.done();
    const upstreamMs = performance.now() - started;
    const value = delivered.value;
    if ("relayed" in value) return { modelId: prepared.modelId, relayed: value.relayed, upstreamMs, done: noop };
    return { modelId: prepared.modelId, info: prepared.resolved.info, result: value, upstreamMs };
  }

  async function stream<R>(input: ChatInput, signal: AbortSignal | Cancellation, relay?: ChatRelay<R>) {
    const preparing = prepare(input, () => (signal instanceof Cancellation ? signal.signal : signal));
    const prepared = preparing instanceof Promise ? await preparing : preparing;
    const started = performance.now();
    const delivered = await registry.call(
      prepared.resolved.targets,
      (target, remainingMs, call): Promise<FirstPart | { relayed: R }> => {
        const native = relay?.passthroughOf(target.provider, prepared.images);
        if (native !== undefined && relay !== undefined)
          return relay.attempt(native, target, prepared.images, remainingMs, call).then(relayed);
        // The call's signal: aborted by the client going away and, until the first part, by the deadline.
        return firstPart(chatModelOf(target).stream({ ...requestFor(prepared, target), signal: call.signal }));
      },
      { operation: "stream", signal },
    );
    const upstreamMs = performance.now() - started;
    const value = delivered.value;
    // Delivered's methods, bound: the codec calls them on their own once the stream ends.
    const done = (error?: unknown): void => delivered.done(error);
    if ("relayed" in value) return { modelId: prepared.modelId, relayed: value.relayed, upstreamMs, done };
    return {
      modelId: prepared.modelId,
      info: prepared.resolved.info,
      parts: replay(value.first, value.rest),
      upstreamMs,
      done,
      abandon: () => delivered.abandon(),
    };
  }

  const check = async (input: ChatInput, signal?: AbortSignal) => {
    const { resolved } = await prepare(input, () => signal);
    return { id: resolved.info?.id ?? resolved.id, info: resolved.info };
  };

  return { resolve, check, generate, stream } as ChatCore;
}

function noop(): void {}

interface FirstPart {
  first: IteratorResult<StreamPart>;
  rest: AsyncIterator<StreamPart>;
}

/** A stream's first part (an error part as the attempt's failure, so it can be retried) and the rest. */
async function firstPart(parts: AsyncIterable<StreamPart>): Promise<FirstPart> {
  const rest = parts[Symbol.asyncIterator]();
  const first = await rest.next();
  if (!first.done && first.value.type === "error") throw first.value.error;
  return { first, rest };
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
