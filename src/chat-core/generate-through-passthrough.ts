import { z } from "zod";
import { UpstreamError } from "../errors/upstream-error.ts";
import type { Cancellation } from "../net/cancellation.ts";
import { fromOpenAiFinishReason, fromOpenAiUsage } from "../providers/openai-compatible/from-openai-finish-reason.ts";
import { toOpenAiRequest } from "../providers/openai-compatible/to-openai-request.ts";
import type { ChatRequest, ChatResult, OpenAiPassthrough } from "../providers/spec/index.ts";

const chatPath = "/chat/completions";

export const completionSchema = z.object({
  id: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          reasoning_content: z.string().nullish(),
          reasoning: z.string().nullish(),
          tool_calls: z.array(z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string() }) })).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional(), total_tokens: z.number().optional() })
    .nullish(),
});

type Completion = z.infer<typeof completionSchema>;

const isOptionalString = (value: unknown): boolean => value === undefined || value === null || typeof value === "string";
const isOptionalNumber = (value: unknown): boolean => value === undefined || typeof value === "number";
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/**
 * completionSchema's checks, written out for the shape nearly every reply has (no tool calls),
 * without zod's copy of the reply: on the gateway's hot path zod's parse cost as much as encoding
 * the surface's own reply. A reply this does not pass (tool calls, anything unusual or wrong) goes
 * to completionSchema, which decides.
 */
export function isPlainCompletion(value: unknown): value is Completion {
  if (!isObject(value)) return false;
  const { id, choices, usage } = value;
  if (id !== undefined && typeof id !== "string") return false;
  if (!Array.isArray(choices) || choices.length === 0) return false;
  for (const choice of choices) {
    if (!isObject(choice) || !isOptionalString(choice.finish_reason)) return false;
    const message = choice.message;
    if (!isObject(message) || (message.tool_calls !== undefined && message.tool_calls !== null)) return false;
    if (!isOptionalString(message.content) || !isOptionalString(message.reasoning_content) || !isOptionalString(message.reasoning)) {
      return false;
    }
  }
  if (usage === undefined || usage === null) return true;
  return (
    isObject(usage) &&
    isOptionalNumber(usage.prompt_tokens) &&
    isOptionalNumber(usage.completion_tokens) &&
    isOptionalNumber(usage.total_tokens)
  );
}

/**
 * A whole chat reply from an OpenAI-compatible upstream through the gateway's passthrough: one
 * exchange read whole (no body stream, no AbortController), the reply checked (isPlainCompletion, else zod). A 2xx
 * Station cannot use is a retryable 502, like a broken connection.
 */
export async function generateThroughPassthrough(
  passthrough: OpenAiPassthrough,
  request: ChatRequest,
  providerId: string,
  cancellation: Cancellation,
  /** What is left of the request's deadline: the upstream is not waited for longer. */
  timeoutMs?: number,
): Promise<ChatResult> {
  const body = JSON.stringify(toOpenAiRequest(request, false));
  const reply = await passthrough.exchange(chatPath, body, cancellation, timeoutMs);
  if (reply.statusCode >= 300) throw passthrough.replyError(reply, chatPath);
  let parsed: Completion;
  try {
    const json: unknown = JSON.parse(reply.body.toString("utf8"));
    parsed = isPlainCompletion(json) ? json : completionSchema.parse(json);
  } catch (error) {
    throw new UpstreamError({
      provider: providerId,
      url: chatPath,
      statusCode: undefined,
      message: `The upstream '${providerId}' answered ${reply.statusCode} with a chat reply Station cannot read`,
      responseBody: reply.body.toString("utf8").slice(0, 512),
      isRetryable: true,
      cause: error,
    });
  }
  const choice = parsed.choices[0];
  const message = choice?.message;
  const calls = message?.tool_calls;
  // Built with its keys and then assigned, not spread: on Node 20 a spread among keys takes V8's slow path.
  const result: ChatResult = {
    text: message?.content ?? "",
    toolCalls: calls == null ? [] : calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })),
    finishReason: fromOpenAiFinishReason(choice?.finish_reason),
  };
  const reasoning = message?.reasoning_content ?? message?.reasoning ?? undefined;
  if (reasoning) result.reasoning = reasoning;
  const usage = fromOpenAiUsage(parsed.usage);
  if (usage !== undefined) result.usage = usage;
  if (parsed.id !== undefined) result.id = parsed.id;
  return result;
}
