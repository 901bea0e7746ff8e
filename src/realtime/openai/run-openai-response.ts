import { SentenceChunker } from "../../audio/sentence-chunker.ts";
import { isStationError } from "../../errors/station-error.ts";
import type { McpRegistry } from "../../mcp/mcp-registry.ts";
import type { ChatMessage, ChatModel, ChatRequest, ToolCall, ToolChoice, ToolDefinition } from "../../providers/spec/index.ts";
import type { ConversationItem } from "./conversation-items.ts";

type Emit = (event: Record<string, unknown>) => void;

export interface OpenAiResponseOptions {
  responseId: string;
  emit: Emit;
  model: ChatModel;
  messages: ChatMessage[];
  /** Server-side MCP tools (run here) and the client's function tools (handed back). */
  mcpTools: ToolDefinition[];
  clientTools: ToolDefinition[];
  toolChoice: ToolChoice;
  parameters: Pick<ChatRequest, "temperature" | "maxTokens">;
  maxToolRounds: number;
  /** Speak the reply (output modality audio) or only write it. */
  audio: boolean;
  /** Text → 24 kHz PCM16 chunks through the speech model; resolves once audio flows. */
  speak(text: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  mcp: McpRegistry;
  newItemId(): string;
  /** Adds an item to the conversation (the session's history) as soon as it exists. */
  addItem(item: ConversationItem): void;
  signal: AbortSignal;
  /** The first audio byte of the reply (benchmarks: end of speech → first audio). */
  onFirstAudio?(): void;
}

export interface OpenAiResponseResult {
  output: Record<string, unknown>[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
}

/**
 * One response of an OpenAI-dialect realtime session: model rounds with MCP tools run here and
 * client tools handed back as function_call items (which ends the response), text streamed as
 * output_text or as an audio transcript while sentences are spoken through the speech model,
 * in OpenAI's event order (output_item → content_part → deltas → done events). Throws when the
 * model fails or `signal` aborts; the session turns that into response.done.
 */
export async function runOpenAiResponse(options: OpenAiResponseOptions): Promise<OpenAiResponseResult> {
  const { emit, responseId, signal } = options;
  const output: Record<string, unknown>[] = [];
  const usage = { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
  const messages = [...options.messages];
  const clientToolNames = new Set(options.clientTools.map((tool) => tool.name));
  const mcpToolNames = new Set(options.mcpTools.map((tool) => tool.name));
  const tools = [...options.mcpTools, ...options.clientTools];

  for (let round = 0; ; round++) {
    const offerTools = tools.length > 0 && round < options.maxToolRounds && options.toolChoice !== "none";
    const message = startMessage();
    const calls = new Map<number, ToolCall>();
    const stream = options.model.stream({
      ...options.parameters,
      model: options.model.modelName,
      messages,
      ...(offerTools ? { tools, toolChoice: options.toolChoice } : {}),
      signal,
    });
    try {
      for await (const part of stream) {
        if (signal.aborted) break;
        if (part.type === "text-delta" && part.text !== "") message.write(part.text);
        else if (part.type === "tool-call-delta") {
          const call = calls.get(part.index) ?? { id: "", name: "", arguments: "" };
          if (part.id !== undefined) call.id = part.id;
          if (part.name !== undefined) call.name += part.name;
          if (part.argumentsDelta !== undefined) call.arguments += part.argumentsDelta;
          calls.set(part.index, call);
        } else if (part.type === "usage" || (part.type === "finish" && part.usage !== undefined)) {
          const reported = part.usage;
          if (reported !== undefined) {
            usage.input_tokens += reported.promptTokens;
            usage.output_tokens += reported.completionTokens;
            usage.total_tokens += reported.totalTokens;
          }
        } else if (part.type === "error") throw part.error;
      }
    } finally {
      // What was said stays in the conversation even when cancelled (OpenAI keeps a truncated item).
      await message.end();
    }
    throwIfAborted(signal);
    const toolCalls = [...calls.values()].map((call, index) => ({ ...call, id: call.id || `call_${responseId}_${round}_${index}` }));
    if (toolCalls.length === 0) return { output, usage };
    messages.push({ role: "assistant", content: message.text, toolCalls });
    const handedBack: ToolCall[] = [];
    for (const call of toolCalls) {
      options.addItem({ id: options.newItemId(), type: "function_call", callId: call.id, name: call.name, arguments: call.arguments });
      if (clientToolNames.has(call.name)) {
        handedBack.push(call);
        emitFunctionCall(call);
      } else {
        const result = await runMcpCall(call);
        messages.push({ role: "tool", toolCallId: call.id, content: result });
        options.addItem({ id: options.newItemId(), type: "function_call_output", callId: call.id, output: result });
      }
    }
    // The client runs its tools and answers with function_call_output + response.create.
    if (handedBack.length > 0) return { output, usage };
  }

  function startMessage() {
    const itemId = options.newItemId();
    const outputIndex = output.length;
    const chunker = new SentenceChunker();
    const base = { response_id: responseId, item_id: itemId, output_index: outputIndex, content_index: 0 };
    let text = "";
    let started = false;
    let speaking: Promise<void> = Promise.resolve();
    let speechFailure: unknown;
    let firstAudio = true;
    const item = (status: string, content: unknown[]) => ({
      id: itemId,
      object: "realtime.item",
      type: "message",
      role: "assistant",
      status,
      content,
    });
    const say = (sentence: string) => {
      speaking = speaking.then(async () => {
        if (signal.aborted || speechFailure !== undefined) return;
        try {
          for await (const chunk of await options.speak(sentence, signal)) {
            if (signal.aborted) return;
            if (firstAudio) {
              firstAudio = false;
              options.onFirstAudio?.();
            }
            emit({ type: "response.output_audio.delta", ...base, delta: Buffer.from(chunk).toString("base64") });
          }
        } catch (error) {
          if (!signal.aborted) speechFailure = error;
        }
      });
    };
    return {
      get text() {
        return text;
      },
      write(delta: string) {
        if (!started) {
          started = true;
          output.push(item("in_progress", []));
          emit({ type: "response.output_item.added", response_id: responseId, output_index: outputIndex, item: item("in_progress", []) });
          emit({ type: "conversation.item.added", previous_item_id: null, item: item("in_progress", []) });
          emit({
            type: "response.content_part.added",
            ...base,
            part: options.audio ? { type: "audio", transcript: "" } : { type: "text", text: "" },
          });
        }
        text += delta;
        emit({ type: options.audio ? "response.output_audio_transcript.delta" : "response.output_text.delta", ...base, delta });
        if (options.audio) for (const sentence of chunker.push(delta)) say(sentence);
      },
      async end() {
        if (!started) return;
        const rest = chunker.flush();
        if (options.audio && rest !== undefined) say(rest);
        await speaking;
        const status = signal.aborted ? "incomplete" : "completed";
        if (options.audio) {
          emit({ type: "response.output_audio.done", ...base });
          emit({ type: "response.output_audio_transcript.done", ...base, transcript: text });
          emit({ type: "response.content_part.done", ...base, part: { type: "audio", transcript: text } });
        } else {
          emit({ type: "response.output_text.done", ...base, text });
          emit({ type: "response.content_part.done", ...base, part: { type: "text", text } });
        }
        const done = item(status, [options.audio ? { type: "output_audio", transcript: text } : { type: "output_text", text }]);
        output[outputIndex] = done;
        emit({ type: "response.output_item.done", response_id: responseId, output_index: outputIndex, item: done });
        emit({ type: "conversation.item.done", item: done });
        options.addItem({ id: itemId, type: "message", role: "assistant", parts: [{ type: "text", text }] });
        if (speechFailure !== undefined) throw speechFailure;
      },
    };
  }

  function emitFunctionCall(call: ToolCall): void {
    const itemId = options.newItemId();
    const outputIndex = output.length;
    const item = (status: string, args: string) => ({
      id: itemId,
      object: "realtime.item",
      type: "function_call",
      status,
      call_id: call.id,
      name: call.name,
      arguments: args,
    });
    output.push(item("in_progress", ""));
    emit({ type: "response.output_item.added", response_id: responseId, output_index: outputIndex, item: item("in_progress", "") });
    emit({ type: "conversation.item.added", previous_item_id: null, item: item("in_progress", "") });
    const base = { response_id: responseId, item_id: itemId, output_index: outputIndex, call_id: call.id };
    if (call.arguments !== "") emit({ type: "response.function_call_arguments.delta", ...base, delta: call.arguments });
    emit({ type: "response.function_call_arguments.done", ...base, name: call.name, arguments: call.arguments });
    const done = item("completed", call.arguments);
    output[outputIndex] = done;
    emit({ type: "response.output_item.done", response_id: responseId, output_index: outputIndex, item: done });
    emit({ type: "conversation.item.done", item: done });
  }

  /** An MCP tool, run server-side and shown as OpenAI's mcp_call item. */
  async function runMcpCall(call: ToolCall): Promise<string> {
    const itemId = options.newItemId();
    const outputIndex = output.length;
    const tool = options.mcp.catalog().find((candidate) => candidate.name === call.name);
    const item = (output_: string | null, error: unknown) => ({
      id: itemId,
      type: "mcp_call",
      server_label: tool?.serverId ?? "",
      name: call.name,
      arguments: call.arguments,
      output: output_,
      error,
    });
    output.push(item(null, null));
    emit({ type: "response.output_item.added", response_id: responseId, output_index: outputIndex, item: item(null, null) });
    emit({ type: "response.mcp_call.in_progress", item_id: itemId, output_index: outputIndex });
    const outcome = mcpToolNames.has(call.name)
      ? await options.mcp.callTool(call.name, call.arguments, { signal })
      : {
          isError: true,
          text: `Tool '${call.name}' is not available.`,
          errorCode: "tool_not_allowed" as const,
          truncated: false,
          durationMs: 0,
        };
    throwIfAborted(signal);
    const error = outcome.isError ? { type: "tool_execution_error", message: outcome.text } : null;
    const done = item(outcome.isError ? null : outcome.text, error);
    output[outputIndex] = done;
    emit({
      type: outcome.isError ? "response.mcp_call.failed" : "response.mcp_call.completed",
      item_id: itemId,
      output_index: outputIndex,
    });
    emit({ type: "response.output_item.done", response_id: responseId, output_index: outputIndex, item: done });
    return outcome.text;
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason ?? new Error("aborted");
}

/** OpenAI's error object for a failed response. */
export function responseError(error: unknown): { type: string; code: string; message: string } {
  const known = isStationError(error) ? error : undefined;
  return {
    type: known !== undefined && known.status < 500 ? "invalid_request_error" : "server_error",
    code: known?.code ?? "internal_error",
    message: known?.message ?? "Internal server error",
  };
}
