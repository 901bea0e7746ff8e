import type { UsageData } from "../chat/chat-event.ts";
import { runToolLoop, type ToolLoopOptions } from "../chat/run-tool-loop.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import type { ChatMessage, ChatModel, ToolDefinition } from "../providers/spec/index.ts";
import type { ServerEvent } from "./realtime-protocol.ts";

export interface RealtimeTurn {
  responseId: string;
  /** The `event_id` of the `text` message that started the turn, echoed on every event. */
  eventId: string | undefined;
  model: ChatModel;
  /** System prompt, history and the new user message. */
  messages: ChatMessage[];
  tools: ToolDefinition[];
  parameters: ToolLoopOptions["parameters"];
  maxToolRounds: number;
  signal: AbortSignal;
  /** Kept up to date as the turn runs, so a cancelled or failed turn can still say what it did. */
  progress: TurnProgress;
}

export interface TurnProgress {
  /** Text of the round in progress (what the client has seen since the last tool call). */
  text: string;
  usage: UsageData;
  rounds: number;
  toolCalls: number;
}

export function emptyProgress(): TurnProgress {
  return { text: "", usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, rounds: 0, toolCalls: 0 };
}

export interface RealtimeTurnResult {
  text: string;
  finishReason: string;
  usage: UsageData;
  rounds: number;
  toolCalls: number;
  /** The assistant and tool messages the turn produced, in order (for the session's history). */
  produced: ChatMessage[];
}

/**
 * One response of a realtime session: the chat application's tool loop (model → MCP tools →
 * model), its events renamed to the realtime protocol. Throws when the model call fails or
 * `signal` aborts; a failing tool is not a failure, the model reads its error.
 */
export async function* runRealtimeTurn(turn: RealtimeTurn, mcp: McpRegistry): AsyncGenerator<ServerEvent, RealtimeTurnResult> {
  const echo = { ...(turn.eventId === undefined ? {} : { event_id: turn.eventId }), response_id: turn.responseId };
  const produced: ChatMessage[] = [];
  const loop = runToolLoop({
    model: turn.model,
    messages: turn.messages,
    tools: turn.tools,
    parameters: turn.parameters,
    maxToolRounds: turn.maxToolRounds,
    signal: turn.signal,
    executeTool: (call, signal) => mcp.callTool(call.name, call.arguments, { signal }),
    describeTool: (name) => {
      const tool = mcp.catalog().find((candidate) => candidate.name === name);
      return { server: tool?.serverId ?? null, tool: tool?.toolName ?? null };
    },
    saveMessage: async ({ metadata: _metadata, ...message }) => {
      produced.push(message);
      return `msg_${produced.length}`;
    },
  });
  for (;;) {
    const next = await loop.next();
    if (next.done) {
      const result = next.value;
      return {
        text: result.text,
        finishReason: result.finishReason,
        usage: result.usage,
        rounds: result.rounds,
        toolCalls: result.toolCalls,
        produced,
      };
    }
    const event = next.value;
    const { progress } = turn;
    switch (event.type) {
      case "message.delta":
        progress.text += event.data.content;
        yield { type: "text.delta", ...echo, delta: event.data.content, round: event.data.round };
        break;
      case "tool_call.started":
        progress.text = "";
        progress.toolCalls++;
        yield {
          type: "tool.call",
          ...echo,
          call_id: event.data.id,
          name: event.data.name,
          server: event.data.server,
          tool: event.data.tool,
          arguments: event.data.arguments,
          round: event.data.round,
        };
        break;
      case "tool_call.result":
        yield {
          type: "tool.result",
          ...echo,
          call_id: event.data.id,
          name: event.data.name,
          is_error: false,
          content: event.data.content,
          truncated: event.data.truncated,
          duration_ms: event.data.duration_ms,
        };
        break;
      case "tool_call.error":
        yield {
          type: "tool.result",
          ...echo,
          call_id: event.data.id,
          name: event.data.name,
          is_error: true,
          error_code: event.data.code,
          content: event.data.message,
          truncated: false,
          duration_ms: event.data.duration_ms,
        };
        break;
      case "usage":
        progress.usage = event.data.total;
        progress.rounds = event.data.round + 1;
        break;
      default:
        // session, done, error: chat orchestrator events the loop itself never yields.
        break;
    }
  }
}
