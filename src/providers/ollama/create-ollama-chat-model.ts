import { newlineDelimitedJson } from "../http/server-sent-events.ts";
import { streamedErrorMessage, type UpstreamClient } from "../http/upstream-client.ts";
import type { ChatModel, ChatRequest, ChatResult, FinishReason, StreamPart, ToolCall, Usage } from "../spec/index.ts";
import { toOllamaRequest } from "./to-ollama-request.ts";

interface OllamaChatLine {
  message?: { content?: string; tool_calls?: { function: { name: string; arguments: unknown } }[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

/** A chat model behind Ollama's native `/api/chat` (NDJSON when streaming). */
export function createOllamaChatModel(client: UpstreamClient, providerId: string, modelName: string): ChatModel {
  const path = "/api/chat";
  return {
    id: `${providerId}/${modelName}`,
    providerId,
    modelName,
    async generate(request: ChatRequest): Promise<ChatResult> {
      const reply = await client.json<OllamaChatLine>("POST", path, toOllamaRequest(request, modelName, false), request.signal);
      const toolCalls = toToolCalls(reply, 0);
      return {
        text: reply.message?.content ?? "",
        toolCalls,
        finishReason: finishReason(reply, toolCalls.length > 0),
        usage: usageOf(reply),
      };
    },
    async *stream(request: ChatRequest): AsyncGenerator<StreamPart> {
      let response: Awaited<ReturnType<UpstreamClient["send"]>>;
      try {
        response = await client.send({
          method: "POST",
          path,
          body: JSON.stringify(toOllamaRequest(request, modelName, true)),
          signal: request.signal,
        });
        if (response.statusCode >= 300) throw await client.statusError(response, path);
      } catch (error) {
        yield { type: "error", error: client.connectionError(error, path) };
        return;
      }
      let toolCallCount = 0;
      try {
        for await (const line of newlineDelimitedJson<OllamaChatLine>(response.body)) {
          if (line.error !== undefined) throw client.streamError(path, `reported an error mid-stream: ${streamedErrorMessage(line.error)}`);
          const text = line.message?.content;
          if (typeof text === "string" && text.length > 0) yield { type: "text-delta", text };
          // Ollama sends each tool call whole: one delta carries id, name and all arguments.
          for (const call of toToolCalls(line, toolCallCount)) {
            yield { type: "tool-call-delta", index: toolCallCount++, id: call.id, name: call.name, argumentsDelta: call.arguments };
          }
          if (line.done === true) {
            const usage = usageOf(line);
            if (usage !== undefined) yield { type: "usage", usage };
            yield { type: "finish", finishReason: finishReason(line, toolCallCount > 0), usage };
            return;
          }
        }
      } catch (error) {
        response.body.destroy();
        // A line that is not JSON is the upstream's broken reply, not a connection failure.
        const failure =
          error instanceof SyntaxError ? client.streamError(path, `sent a stream line that is not JSON (${error.message})`, error) : error;
        yield { type: "error", error: client.connectionError(failure, path) };
        return;
      }
      yield { type: "error", error: client.streamError(path, "ended the stream before its last line (done: true)") };
    },
  };
}

function toToolCalls(line: OllamaChatLine, offset: number): ToolCall[] {
  return (line.message?.tool_calls ?? []).map((call, index) => ({
    id: `call_${offset + index}`,
    name: call.function.name,
    arguments: typeof call.function.arguments === "string" ? call.function.arguments : JSON.stringify(call.function.arguments ?? {}),
  }));
}

function finishReason(line: OllamaChatLine, calledTools: boolean): FinishReason {
  if (calledTools) return "tool_calls";
  if (line.done_reason === "length") return "length";
  return line.done_reason === undefined || line.done_reason === "stop" ? "stop" : "other";
}

function usageOf(line: OllamaChatLine): Usage | undefined {
  if (line.prompt_eval_count === undefined && line.eval_count === undefined) return undefined;
  const promptTokens = line.prompt_eval_count ?? 0;
  const completionTokens = line.eval_count ?? 0;
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
