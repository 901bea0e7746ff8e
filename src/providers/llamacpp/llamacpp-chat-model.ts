import { randomUUID } from "node:crypto";
import type { ChatModelFunctions, LlamaChat, LlamaContextSequence, LlamaGrammar } from "node-llama-cpp";
import { errors } from "../../errors/errors.ts";
import { isStationError, StationError } from "../../errors/station-error.ts";
import type { ResidencyHandle } from "../residency/model-residency.ts";
import { parseKeepAlive } from "../residency/parse-keep-alive.ts";
import type { ChatModel, ChatRequest, ChatResult, FinishReason, StreamPart, ToolCall, Usage } from "../spec/index.ts";
import type { LlamaResident } from "./load-llama-model.ts";
import { createPushStream } from "./push-stream.ts";
import { toLlamaChatHistory } from "./to-llama-chat-history.ts";

export interface LlamaCppChatModelOptions {
  providerId: string;
  modelName: string;
  /** Loads the model if needed and counts this request as a user of it. */
  acquire(): Promise<ResidencyHandle<LlamaResident>>;
}

/** Sink for one generation: text deltas, tool-call deltas, then exactly one finish. */
type Emit = (part: StreamPart) => void;

/** A chat model on a local GGUF, generating through node-llama-cpp's LlamaChat. */
export function createLlamaCppChatModel(options: LlamaCppChatModelOptions): ChatModel {
  const id = `${options.providerId}/${options.modelName}`;

  const run = async (request: ChatRequest, emit: Emit, signal: AbortSignal | undefined): Promise<void> => {
    const keepAliveMs = parseKeepAlive(request.providerOptions?.keep_alive);
    const history = toLlamaChatHistory(request.messages);
    const handle = await options.acquire();
    try {
      const resident = handle.model;
      const lease = await resident.sequences.acquire(signal);
      try {
        await generate(resident, lease.sequence, request, history, emit, signal);
      } finally {
        lease.release();
      }
    } finally {
      handle.release(keepAliveMs);
    }
  };

  return {
    id,
    providerId: options.providerId,
    modelName: options.modelName,
    async generate(request): Promise<ChatResult> {
      let text = "";
      const toolCalls: ToolCall[] = [];
      let finish: Extract<StreamPart, { type: "finish" }> | undefined;
      await run(
        request,
        (part) => {
          if (part.type === "text-delta") text += part.text;
          else if (part.type === "tool-call-delta") {
            const call = toolCalls[part.index] ?? { id: part.id ?? "", name: part.name ?? "", arguments: "" };
            toolCalls[part.index] = call;
            call.arguments += part.argumentsDelta ?? "";
          } else if (part.type === "finish") finish = part;
        },
        request.signal,
      );
      return { text, toolCalls, finishReason: finish?.finishReason ?? "stop", usage: finish?.usage };
    },
    stream(request): AsyncIterable<StreamPart> {
      const controller = new AbortController();
      const signal = request.signal === undefined ? controller.signal : AbortSignal.any([request.signal, controller.signal]);
      const stream = createPushStream<StreamPart>(() => controller.abort(new Error("stream consumer stopped")));
      run(request, (part) => stream.push(part), signal).then(
        () => stream.end(),
        (error: unknown) => {
          stream.push({ type: "error", error: error instanceof Error ? error : new Error(String(error)) });
          stream.end();
        },
      );
      return stream;
    },
  };
}

async function generate(
  resident: LlamaResident,
  sequence: LlamaContextSequence,
  request: ChatRequest,
  history: ReturnType<typeof toLlamaChatHistory>,
  emit: Emit,
  signal: AbortSignal | undefined,
): Promise<void> {
  const tools = request.toolChoice === "none" ? [] : (request.tools ?? []);
  const forced = tools.length > 0 && (request.toolChoice === "required" || typeof request.toolChoice === "object");
  const grammar = forced ? await forcedToolGrammar(resident, request) : await responseFormatGrammar(resident, request);
  const functions = !forced && tools.length > 0 ? toFunctions(request) : undefined;
  const chat = await chatFor(resident, sequence);
  let completionTokens = 0;
  let forcedText = "";
  const callIds: string[] = [];
  const pendingWhitespace: string[] = [];
  try {
    const common = {
      signal,
      stopOnAbortSignal: true,
      maxTokens: request.maxTokens ?? resident.contextSize,
      temperature: request.temperature ?? 0.8,
      topK: request.topK,
      topP: request.topP,
      seed: request.seed,
      customStopTriggers: request.stop !== undefined && request.stop.length > 0 ? request.stop : undefined,
      repeatPenalty:
        request.presencePenalty !== undefined || request.frequencyPenalty !== undefined
          ? { presencePenalty: request.presencePenalty, frequencyPenalty: request.frequencyPenalty }
          : undefined,
      onToken: (tokens: readonly unknown[]) => {
        completionTokens += tokens.length;
      },
      onTextChunk: (text: string) => {
        if (forced) forcedText += text;
        else emit({ type: "text-delta", text });
      },
    };
    const response =
      functions === undefined
        ? await chat.generateResponse(history, { ...common, grammar })
        : await chat.generateResponse(history, {
            ...common,
            functions,
            onFunctionCallParamsChunk: (chunk) => {
              const first = callIds[chunk.callIndex] === undefined;
              if (first) callIds[chunk.callIndex] = `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
              // The params grammar lets the model pad the JSON with whitespace before ")": hold
              // whitespace back until more JSON follows, and drop it at the end of the call.
              let text = (pendingWhitespace[chunk.callIndex] ?? "") + chunk.paramsChunk;
              pendingWhitespace[chunk.callIndex] = "";
              if (text.trim().length === 0) {
                pendingWhitespace[chunk.callIndex] = chunk.done ? "" : text;
                text = "";
              }
              if (!first && text.length === 0) return;
              emit({
                type: "tool-call-delta",
                index: chunk.callIndex,
                ...(first ? { id: callIds[chunk.callIndex], name: chunk.functionName } : {}),
                argumentsDelta: text,
              });
            },
          });
    const usage: Usage = {
      promptTokens: Math.max(0, sequence.contextTokens.length - completionTokens),
      completionTokens,
      totalTokens: sequence.contextTokens.length,
    };
    let finishReason = toFinishReason(response.metadata.stopReason);
    if (forced) {
      finishReason = emitForcedCall(forcedText, emit) ? "tool_calls" : finishReason;
    } else if (callIds.length > 0) finishReason = "tool_calls";
    emit({ type: "usage", usage });
    emit({ type: "finish", finishReason, usage });
  } catch (error) {
    if (isStationError(error)) throw error;
    if (signal?.aborted) throw signal.reason;
    if (/fit(s)? the context size|context size is too small/i.test((error as Error).message)) {
      throw new StationError({
        code: "context_length_exceeded",
        status: 400,
        param: "messages",
        message: `The prompt does not fit this model's context of ${resident.contextSize} tokens (contextSize in the config). Shorten the conversation or raise contextSize.`,
        cause: error,
      });
    }
    throw errors.internal(`Local generation failed: ${(error as Error).message}`, error);
  }
}

// One LlamaChat per sequence, reused across requests (as node-llama-cpp's own sessions do):
// building one per request costs time to first token. It goes away with its sequence.
const chats = new WeakMap<LlamaContextSequence, LlamaChat>();

async function chatFor(resident: LlamaResident, sequence: LlamaContextSequence): Promise<LlamaChat> {
  let chat = chats.get(sequence);
  if (chat === undefined || chat.disposed) {
    // Imported on first use (a cached module after that): start-up never loads node-llama-cpp.
    const { LlamaChat } = await import("node-llama-cpp");
    chat = new LlamaChat({ contextSequence: sequence, chatWrapper: resident.chatWrapper, autoDisposeSequence: false });
    chats.set(sequence, chat);
  }
  return chat;
}

function toFinishReason(stopReason: string): FinishReason {
  if (stopReason === "maxTokens") return "length";
  if (stopReason === "functionCalls") return "tool_calls";
  return "stop";
}

function toFunctions(request: ChatRequest): ChatModelFunctions {
  return Object.fromEntries(
    (request.tools ?? []).map((tool) => [tool.name, { description: tool.description, params: tool.parameters as never }]),
  );
}

async function responseFormatGrammar(resident: LlamaResident, request: ChatRequest): Promise<LlamaGrammar | undefined> {
  const format = request.responseFormat;
  if (format === undefined || format.type === "text") return undefined;
  if (format.type === "json_object") return resident.llama.getGrammarFor("json");
  return schemaGrammar(resident, format.schema, "response_format.json_schema.schema");
}

/**
 * tool_choice "required" / a named tool: node-llama-cpp only calls functions when the model
 * chooses to, so the call is forced with a grammar over {"name", "arguments"} instead.
 */
async function forcedToolGrammar(resident: LlamaResident, request: ChatRequest): Promise<LlamaGrammar> {
  const choice = request.toolChoice;
  const tools = (request.tools ?? []).filter((tool) => typeof choice !== "object" || tool.name === choice.name);
  if (tools.length === 0) throw errors.invalidRequest(`tool_choice names a tool that is not in tools`, "tool_choice");
  const variants = tools.map((tool) => ({
    type: "object",
    properties: { name: { const: tool.name }, arguments: tool.parameters },
    required: ["name", "arguments"],
  }));
  return schemaGrammar(resident, variants.length === 1 ? (variants[0] as object) : { oneOf: variants }, "tools");
}

async function schemaGrammar(resident: LlamaResident, schema: object, param: string): Promise<LlamaGrammar> {
  try {
    return await resident.llama.createGrammarForJsonSchema(schema as never);
  } catch (error) {
    throw errors.invalidRequest(`${param}: this JSON schema cannot be turned into a grammar (${(error as Error).message})`, param);
  }
}

function emitForcedCall(text: string, emit: Emit): boolean {
  try {
    const parsed = JSON.parse(text) as { name: string; arguments: unknown };
    emit({
      type: "tool-call-delta",
      index: 0,
      id: `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
      name: parsed.name,
      argumentsDelta: JSON.stringify(parsed.arguments ?? {}),
    });
    return true;
  } catch {
    // Cut off by max_tokens: no complete call to report.
    emit({ type: "text-delta", text });
    return false;
  }
}
