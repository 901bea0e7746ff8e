import { serverSentEventData } from "../http/server-sent-events.ts";
import { streamedErrorMessage, type UpstreamClient } from "../http/upstream-client.ts";
import type { ChatModel, ChatRequest, ChatResult, StreamPart, ToolCall } from "../spec/index.ts";
import { fromOpenAiFinishReason, fromOpenAiUsage, type OpenAiUsage } from "./from-openai-finish-reason.ts";
import { toOpenAiRequest } from "./to-openai-request.ts";

interface OpenAiCompletion {
  id?: string;
  choices?: {
    message?: {
      content?: string | null;
      reasoning_content?: string | null;
      tool_calls?: { id: string; function: { name: string; arguments: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
}

interface OpenAiChunk {
  choices?: {
    delta?: {
      content?: string | null;
      /** DeepSeek, vLLM, LM Studio and llama.cpp server stream reasoning here. */
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
  /** OpenAI-compatible servers (vLLM, OpenRouter, LiteLLM) put a failure mid-stream here. */
  error?: unknown;
}

/** Whether the upstream has sent the whole body (Node's readable state: no more chunks will come). */
function bodyAtEnd(body: object): boolean {
  return (body as { _readableState?: { ended?: boolean } })._readableState?.ended === true;
}

/** A chat model behind an OpenAI-compatible `/chat/completions`. */
export function createOpenAiChatModel(client: UpstreamClient, providerId: string, modelName: string): ChatModel {
  return {
    id: `${providerId}/${modelName}`,
    providerId,
    modelName,
    async generate(request: ChatRequest): Promise<ChatResult> {
      const body = toOpenAiRequest({ ...request, model: modelName }, false);
      const completion = await client.json<OpenAiCompletion>("POST", "/chat/completions", body, request.signal);
      const choice = completion.choices?.[0];
      const toolCalls: ToolCall[] = (choice?.message?.tool_calls ?? []).map((call) => ({
        id: call.id,
        name: call.function.name,
        arguments: call.function.arguments,
      }));
      return {
        text: choice?.message?.content ?? "",
        ...(choice?.message?.reasoning_content ? { reasoning: choice.message.reasoning_content } : {}),
        toolCalls,
        finishReason: fromOpenAiFinishReason(choice?.finish_reason),
        usage: fromOpenAiUsage(completion.usage),
        id: completion.id,
      };
    },
    async *stream(request: ChatRequest): AsyncGenerator<StreamPart> {
      const path = "/chat/completions";
      const body = JSON.stringify(toOpenAiRequest({ ...request, model: modelName }, true));
      let response: Awaited<ReturnType<UpstreamClient["send"]>>;
      try {
        response = await client.send({ method: "POST", path, body, signal: request.signal });
        if (response.statusCode >= 300) throw await client.statusError(response, path);
      } catch (error) {
        yield { type: "error", error: client.connectionError(error, path) };
        return;
      }
      let finishReason: string | null | undefined;
      let usage: OpenAiUsage | null | undefined;
      try {
        let done = false;
        for await (const data of serverSentEventData(response.body)) {
          if (done) continue;
          if (data === "[DONE]") {
            // Leaving the loop before the body's end is emitted makes Node destroy it with an
            // AbortError, stack trace and all (~10 µs a stream); a body already at its end is read out instead.
            if (!bodyAtEnd(response.body)) break;
            done = true;
            continue;
          }
          let chunk: OpenAiChunk;
          try {
            chunk = JSON.parse(data) as OpenAiChunk;
          } catch (error) {
            throw client.streamError(path, `sent a stream chunk that is not JSON: ${data.slice(0, 200)}`, error);
          }
          if (chunk.error !== undefined && chunk.error !== null) {
            throw client.streamError(path, `reported an error mid-stream: ${streamedErrorMessage(chunk.error)}`);
          }
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          if (choice === undefined) continue;
          const delta = choice.delta;
          const reasoning = delta?.reasoning_content ?? delta?.reasoning;
          if (typeof reasoning === "string" && reasoning.length > 0) yield { type: "reasoning-delta", text: reasoning };
          if (typeof delta?.content === "string" && delta.content.length > 0) yield { type: "text-delta", text: delta.content };
          for (const call of delta?.tool_calls ?? []) {
            yield {
              type: "tool-call-delta",
              index: call.index,
              ...(call.id === undefined ? {} : { id: call.id }),
              ...(call.function?.name === undefined ? {} : { name: call.function.name }),
              ...(call.function?.arguments === undefined ? {} : { argumentsDelta: call.function.arguments }),
            };
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      } catch (error) {
        response.body.destroy();
        yield { type: "error", error: client.connectionError(error, path) };
        return;
      }
      if (finishReason === undefined) {
        yield { type: "error", error: client.streamError(path, "ended the stream before a finish reason") };
        return;
      }
      const finalUsage = fromOpenAiUsage(usage);
      if (finalUsage !== undefined) yield { type: "usage", usage: finalUsage };
      yield { type: "finish", finishReason: fromOpenAiFinishReason(finishReason), usage: finalUsage };
    },
  };
}
