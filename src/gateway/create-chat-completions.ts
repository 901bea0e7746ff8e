import { errors } from "../errors/errors.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ModelTarget } from "../models/resilience/model-target.ts";
import type { Cancellation } from "../net/cancellation.ts";
import type { PassthroughReply, StreamPart } from "../providers/spec/index.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { GatewayReply } from "./gateway-reply.ts";
import { hasImages, inlineImages } from "./inline-images.ts";
import type { ChatCompletionBody } from "./openai-schemas.ts";
import { encodeOpenAiStream, toChatCompletion } from "./openai-stream-encoder.ts";
import { type InlinedImages, toChatRequest } from "./to-chat-request.ts";

export interface ChatCompletionsOptions {
  registry: ModelRegistry;
  /** The one image intake: every image_url part goes through it before any upstream sees it. */
  intake: Pick<ImageIntake, "fromReference">;
  defaultModel?: string | undefined;
}

type Attempt =
  | { kind: "relay"; reply: PassthroughReply }
  | { kind: "result"; status: number; body: string | Buffer; contentType: string }
  | { kind: "stream"; first: IteratorResult<StreamPart>; rest: AsyncIterator<StreamPart> };

const chatPath = "/chat/completions";

/** One serialisation per distinct upstream model name (a retry reuses it). */
type Payloads = Map<string, string>;

function payloadFor(body: ChatCompletionBody, target: ModelTarget, payloads: Payloads): string {
  let payload = payloads.get(target.modelName);
  if (payload === undefined) {
    const original = body.model;
    body.model = target.modelName;
    payload = JSON.stringify(body);
    body.model = original;
    payloads.set(target.modelName, payload);
  }
  return payload;
}

function noop(): void {}

const noImages: InlinedImages = new Map();

/**
 * POST /v1/chat/completions. For OpenAI-compatible upstreams this is a relay: the client's JSON
 * goes out with only `model` rewritten and the reply bytes (JSON or SSE) come back untouched.
 * Other providers get a ChatRequest and their parts are encoded as OpenAI chunks. Either way the
 * call runs through the registry's resilience layer (retries, fallback, breaker) until the
 * first byte is ready, and never after.
 */
export function createChatCompletions(options: ChatCompletionsOptions) {
  const { registry } = options;

  return async function chatCompletion(body: ChatCompletionBody, cancellation: Cancellation): Promise<GatewayReply> {
    const modelId = body.model ?? options.defaultModel;
    if (modelId === undefined) throw errors.invalidRequest("'model' is required (and no defaults.chatModel is configured)", "model");
    const resolved = registry.lookup(modelId) ?? (await registry.resolve(modelId));
    const capabilities = resolved.info?.capabilities;
    // A vision-only model (a local Florence-2) answers a chat turn that carries an image.
    const visionTurn = capabilities?.includes("vision") === true && hasImages(body.messages);
    if (capabilities !== undefined && capabilities.length > 0 && !capabilities.includes("chat") && !visionTurn) {
      throw errors.unsupported(`The model '${modelId}' cannot chat (it offers: ${capabilities.join(", ")})`, "model");
    }
    let images = noImages;
    if (hasImages(body.messages)) {
      if (capabilities !== undefined && !capabilities.includes("vision")) {
        throw errors.unsupported(
          `The model '${modelId}' does not accept images: send image_url parts to a vision model (GET /api/models?capability=vision lists them)`,
          "messages",
        );
      }
      images = await inlineImages(body.messages, { intake: options.intake, signal: cancellation.signal });
    }
    const stream = body.stream === true;
    const includeUsage = body.stream_options?.include_usage === true;
    const payloads: Payloads = new Map();

    const started = performance.now();
    const delivered = await registry.call(
      resolved.targets,
      async (target, remainingMs): Promise<Attempt> => {
        const passthrough = target.provider.openAiPassthrough;
        // remainingMs caps the upstream's wait at the request's deadline (a hung upstream: 504).
        if (passthrough !== undefined && !stream) {
          const reply = await passthrough.exchange(chatPath, payloadFor(body, target, payloads), cancellation, remainingMs);
          if (reply.statusCode >= 300) throw passthrough.replyError(reply, chatPath);
          const contentType = reply.headers["content-type"];
          const type = typeof contentType === "string" ? contentType : "application/json";
          return { kind: "result", status: reply.statusCode, body: reply.body, contentType: type };
        }
        if (passthrough !== undefined) {
          const reply = await passthrough.post(chatPath, payloadFor(body, target, payloads), cancellation.signal, remainingMs);
          if (reply.statusCode >= 300) throw await passthrough.statusError(reply, chatPath);
          return { kind: "relay", reply };
        }
        const model = target.provider.chatModel?.(target.modelName);
        if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot chat`, "model");
        const request = toChatRequest(body, target.modelName, images, cancellation.signal);
        if (!stream) {
          const completion = toChatCompletion(await model.generate(request), modelId);
          return { kind: "result", status: 200, body: JSON.stringify(completion), contentType: "application/json" };
        }
        const rest = model.stream(request)[Symbol.asyncIterator]();
        const first = await rest.next();
        if (!first.done && first.value.type === "error") throw first.value.error;
        return { kind: "stream", first, rest };
      },
      { operation: stream ? "stream" : "chat", signal: cancellation },
    );
    const upstreamMs = performance.now() - started;
    const outcome = delivered.value;
    if (outcome.kind === "relay") {
      const contentType = outcome.reply.headers["content-type"];
      return {
        status: outcome.reply.statusCode,
        contentType: typeof contentType === "string" ? contentType : "text/event-stream",
        body: outcome.reply.body,
        upstreamMs,
        done: delivered.done,
      };
    }
    if (outcome.kind === "result") {
      delivered.done();
      const { status, contentType, body: whole } = outcome;
      return { status, contentType, body: whole, upstreamMs, done: noop };
    }
    return {
      status: 200,
      contentType: "text/event-stream; charset=utf-8",
      body: encodeOpenAiStream(outcome.first, outcome.rest, modelId, includeUsage),
      upstreamMs,
      done: delivered.done,
    };
  };
}
