import { z } from "zod";
import { serverSentEvents } from "../http/server-sent-events.ts";
import type { UpstreamClient } from "../http/upstream-client.ts";
import type { ChatModel, ChatRequest, ChatResult, FinishReason, StreamPart, ToolCall, Usage } from "../spec/index.ts";
import { toAnthropicBody } from "./to-anthropic-body.ts";

const messagesPath = "/messages";

const usageSchema = z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() });

const blockSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text"), text: z.string() }),
  z.looseObject({ type: z.literal("thinking"), thinking: z.string() }),
  z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() }),
]);

const messageSchema = z.looseObject({
  id: z.string().optional(),
  content: z.array(z.union([blockSchema, z.looseObject({ type: z.string() })])),
  stop_reason: z.string().nullish(),
  usage: usageSchema.optional(),
});

const eventSchema = z.looseObject({
  type: z.string(),
  index: z.number().int().optional(),
  message: z.looseObject({ usage: usageSchema.optional() }).optional(),
  content_block: z.looseObject({ type: z.string(), id: z.string().optional(), name: z.string().optional() }).optional(),
  delta: z
    .looseObject({
      type: z.string().optional(),
      text: z.string().optional(),
      thinking: z.string().optional(),
      partial_json: z.string().optional(),
      stop_reason: z.string().nullish(),
    })
    .optional(),
  usage: usageSchema.optional(),
  error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }).optional(),
});

export function fromAnthropicStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "other";
  }
}

function toUsage(input: number, output: number): Usage {
  return { promptTokens: input, completionTokens: output, totalTokens: input + output };
}

/** A chat model behind Anthropic's Messages API (`/v1/messages`, JSON or its event stream). */
export function createAnthropicChatModel(
  client: UpstreamClient,
  providerId: string,
  modelName: string,
  defaultMaxTokens: number,
): ChatModel {
  return {
    id: `${providerId}/${modelName}`,
    providerId,
    modelName,

    async generate(request: ChatRequest): Promise<ChatResult> {
      const reply = await client.json<unknown>(
        "POST",
        messagesPath,
        toAnthropicBody({ ...request, model: modelName }, false, defaultMaxTokens),
        request.signal,
      );
      const parsed = messageSchema.safeParse(reply);
      if (!parsed.success) throw client.badReply(messagesPath, "a reply that is not a Messages object");
      let text = "";
      let reasoning = "";
      const toolCalls: ToolCall[] = [];
      for (const block of parsed.data.content) {
        const known = blockSchema.safeParse(block);
        if (!known.success) continue;
        if (known.data.type === "text") text += known.data.text;
        else if (known.data.type === "thinking") reasoning += known.data.thinking;
        else toolCalls.push({ id: known.data.id, name: known.data.name, arguments: JSON.stringify(known.data.input ?? {}) });
      }
      const usage = parsed.data.usage;
      return {
        text,
        ...(reasoning.length > 0 ? { reasoning } : {}),
        toolCalls,
        finishReason: fromAnthropicStopReason(parsed.data.stop_reason),
        ...(usage === undefined ? {} : { usage: toUsage(usage.input_tokens ?? 0, usage.output_tokens ?? 0) }),
        ...(parsed.data.id === undefined ? {} : { id: parsed.data.id }),
      };
    },

    async *stream(request: ChatRequest): AsyncGenerator<StreamPart> {
      const body = JSON.stringify(toAnthropicBody({ ...request, model: modelName }, true, defaultMaxTokens));
      let response: Awaited<ReturnType<UpstreamClient["send"]>>;
      try {
        response = await client.send({ method: "POST", path: messagesPath, body, signal: request.signal });
        if (response.statusCode >= 300) throw await client.statusError(response, messagesPath);
      } catch (error) {
        yield { type: "error", error: client.connectionError(error, messagesPath) };
        return;
      }
      // Anthropic numbers content blocks; tool calls are numbered among themselves here.
      const callIndex = new Map<number, number>();
      let inputTokens = 0;
      let outputTokens = 0;
      let stopReason: string | null | undefined;
      let stopped = false;
      try {
        for await (const event of serverSentEvents(response.body)) {
          if (event.data === "") continue;
          let parsed: z.infer<typeof eventSchema>;
          try {
            parsed = eventSchema.parse(JSON.parse(event.data));
          } catch (error) {
            throw client.streamError(messagesPath, `sent an event Station cannot read: ${event.data.slice(0, 200)}`, error);
          }
          if (parsed.type === "error") {
            throw client.streamError(
              messagesPath,
              `reported an error mid-stream: ${parsed.error?.message ?? parsed.error?.type ?? "unknown"}`,
            );
          }
          if (parsed.type === "message_start") inputTokens = parsed.message?.usage?.input_tokens ?? 0;
          else if (parsed.type === "content_block_start" && parsed.content_block?.type === "tool_use") {
            const index = callIndex.size;
            callIndex.set(parsed.index ?? 0, index);
            yield {
              type: "tool-call-delta",
              index,
              ...(parsed.content_block.id === undefined ? {} : { id: parsed.content_block.id }),
              ...(parsed.content_block.name === undefined ? {} : { name: parsed.content_block.name }),
            };
          } else if (parsed.type === "content_block_delta") {
            const delta = parsed.delta;
            if (delta?.type === "text_delta" && delta.text !== undefined && delta.text.length > 0)
              yield { type: "text-delta", text: delta.text };
            else if (delta?.type === "thinking_delta" && delta.thinking !== undefined && delta.thinking.length > 0)
              yield { type: "reasoning-delta", text: delta.thinking };
            else if (delta?.type === "input_json_delta" && delta.partial_json !== undefined) {
              const index = callIndex.get(parsed.index ?? 0);
              if (index !== undefined) yield { type: "tool-call-delta", index, argumentsDelta: delta.partial_json };
            }
          } else if (parsed.type === "message_delta") {
            stopReason = parsed.delta?.stop_reason ?? stopReason;
            outputTokens = parsed.usage?.output_tokens ?? outputTokens;
          } else if (parsed.type === "message_stop") {
            stopped = true;
            break;
          }
        }
      } catch (error) {
        response.body.destroy();
        yield { type: "error", error: client.connectionError(error, messagesPath) };
        return;
      }
      if (!stopped) {
        yield { type: "error", error: client.streamError(messagesPath, "ended the stream before message_stop") };
        return;
      }
      const usage = toUsage(inputTokens, outputTokens);
      yield { type: "usage", usage };
      yield { type: "finish", finishReason: fromAnthropicStopReason(stopReason), usage };
    },
  };
}
