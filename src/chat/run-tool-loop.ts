import { randomUUID } from "node:crypto";
import type { ToolCallOutcome } from "../mcp/mcp-types.ts";
import type { ChatMessage, ChatModel, ChatRequest, FinishReason, ToolCall, ToolDefinition, Usage } from "../providers/spec/index.ts";
import type { ChatEvent, UsageData } from "./chat-event.ts";

export interface ToolLoopOptions {
  model: ChatModel;
  /** The conversation so far, system prompt and new user message included. */
  messages: ChatMessage[];
  tools: ToolDefinition[];
  /** Sampling parameters passed on every round. */
  parameters: Omit<ChatRequest, "model" | "messages" | "tools" | "toolChoice" | "signal">;
  /** Rounds of tool calls before the model must answer without tools. */
  maxToolRounds: number;
  /** Runs a call of one of `tools` (a call of any other tool never reaches it). */
  executeTool(call: ToolCall, signal: AbortSignal): Promise<ToolCallOutcome>;
  /** Where the tool came from, for events ("server", "tool"); null parts for unknown tools. */
  describeTool(name: string): { server: string | null; tool: string | null };
  /** Persists a message the loop produced; returns its id. */
  saveMessage(message: ChatMessage & { metadata?: Record<string, unknown> }): Promise<string>;
  signal: AbortSignal;
}

export interface ToolLoopResult {
  text: string;
  messageId: string | null;
  /** The model's finish reason, or "max_tool_rounds" when the round limit cut the loop short. */
  finishReason: FinishReason | "max_tool_rounds";
  rounds: number;
  toolCalls: number;
  usage: UsageData;
}

/**
 * The server-side tool loop, independent of any transport: model → tool calls → tools (in
 * parallel) → results → model, until the model answers without tools or the round limit is hit,
 * after which it gets one last turn with no tools offered. Yields wire events as it goes; a tool
 * that fails becomes an error result the model reads. Aborting `signal` stops everything.
 */
export async function* runToolLoop(options: ToolLoopOptions): AsyncGenerator<ChatEvent, ToolLoopResult> {
  const messages = [...options.messages];
  const offered = new Set(options.tools.map((tool) => tool.name));
  // A model may name a tool it was not offered (hallucinated, or one the client turned off).
  const execute = (call: ToolCall): Promise<ToolCallOutcome> =>
    offered.has(call.name)
      ? options.executeTool(call, options.signal)
      : Promise.resolve({
          isError: true,
          errorCode: "tool_not_allowed",
          text: `Tool '${call.name}' is not available.`,
          truncated: false,
          durationMs: 0,
        });
  const total: UsageData = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  let toolCallCount = 0;
  for (let round = 0; ; round++) {
    const offerTools = options.tools.length > 0 && round < options.maxToolRounds;
    const reply: { text: string; calls: Map<number, ToolCall>; finishReason: FinishReason; usage: Usage | undefined } = {
      text: "",
      calls: new Map(),
      finishReason: "other",
      usage: undefined,
    };
    const stream = options.model.stream({
      ...options.parameters,
      model: options.model.modelName,
      messages,
      ...(offerTools ? { tools: options.tools } : {}),
      signal: options.signal,
    });
    for await (const part of stream) {
      throwIfAborted(options.signal);
      if (part.type === "text-delta") {
        if (part.text === "") continue;
        reply.text += part.text;
        yield { type: "message.delta", data: { content: part.text, round } };
      } else if (part.type === "tool-call-delta") {
        const call = reply.calls.get(part.index) ?? { id: "", name: "", arguments: "" };
        if (part.id !== undefined) call.id = part.id;
        if (part.name !== undefined) call.name += part.name;
        if (part.argumentsDelta !== undefined) call.arguments += part.argumentsDelta;
        reply.calls.set(part.index, call);
      } else if (part.type === "usage") {
        reply.usage = part.usage;
      } else if (part.type === "finish") {
        reply.finishReason = part.finishReason;
        reply.usage = part.usage ?? reply.usage;
      } else if (part.type === "error") {
        throw part.error;
      }
    }
    throwIfAborted(options.signal);
    if (reply.usage !== undefined) {
      total.prompt_tokens += reply.usage.promptTokens;
      total.completion_tokens += reply.usage.completionTokens;
      total.total_tokens += reply.usage.totalTokens;
      yield {
        type: "usage",
        data: {
          round,
          prompt_tokens: reply.usage.promptTokens,
          completion_tokens: reply.usage.completionTokens,
          total_tokens: reply.usage.totalTokens,
          total: { ...total },
        },
      };
    }
    const calls = [...reply.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ ...call, id: call.id || `call_${randomUUID().slice(0, 8)}` }));
    if (calls.length === 0 || !offerTools) {
      const finishReason = calls.length > 0 ? "max_tool_rounds" : reply.finishReason;
      const messageId = await options.saveMessage({
        role: "assistant",
        content: reply.text,
        metadata: { finish_reason: finishReason, round },
      });
      return { text: reply.text, messageId, finishReason, rounds: round + 1, toolCalls: toolCallCount, usage: total };
    }

    const assistant: ChatMessage = { role: "assistant", content: reply.text, toolCalls: calls };
    await options.saveMessage({ ...assistant, metadata: { round } });
    messages.push(assistant);
    toolCallCount += calls.length;
    for (const call of calls) {
      yield {
        type: "tool_call.started",
        data: { id: call.id, name: call.name, ...options.describeTool(call.name), arguments: parseArguments(call.arguments), round },
      };
    }
    // Independent calls run in parallel; each result is reported as soon as it arrives.
    const pending = new Map(calls.map((call, index) => [index, execute(call).then((outcome) => ({ index, call, outcome }))]));
    const results: ChatMessage[] = new Array(calls.length);
    while (pending.size > 0) {
      const { index, call, outcome } = await Promise.race(pending.values());
      pending.delete(index);
      throwIfAborted(options.signal);
      const toolMessage: ChatMessage = { role: "tool", content: outcome.text, toolCallId: call.id, name: call.name };
      const messageId = await options.saveMessage({
        ...toolMessage,
        metadata: {
          is_error: outcome.isError,
          duration_ms: outcome.durationMs,
          truncated: outcome.truncated,
          ...(outcome.errorCode ? { error_code: outcome.errorCode } : {}),
        },
      });
      results[index] = toolMessage;
      if (outcome.isError) {
        // The tool reported an error (isError) or the call failed: either way the model reads the text.
        const code = outcome.errorCode ?? "tool_error";
        yield {
          type: "tool_call.error",
          data: { id: call.id, name: call.name, code, message: outcome.text, duration_ms: outcome.durationMs, message_id: messageId },
        };
      } else {
        yield {
          type: "tool_call.result",
          data: {
            id: call.id,
            name: call.name,
            content: outcome.text,
            truncated: outcome.truncated,
            duration_ms: outcome.durationMs,
            message_id: messageId,
          },
        };
      }
    }
    messages.push(...results);
  }
}

function parseArguments(text: string): unknown {
  try {
    return text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    return text;
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException("The operation was aborted", "AbortError");
}
