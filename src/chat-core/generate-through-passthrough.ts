import { z } from "zod";
import { UpstreamError } from "../errors/upstream-error.ts";
import type { Cancellation } from "../net/cancellation.ts";
import { fromOpenAiFinishReason, fromOpenAiUsage } from "../providers/openai-compatible/from-openai-finish-reason.ts";
import { toOpenAiRequest } from "../providers/openai-compatible/to-openai-request.ts";
import type { ChatRequest, ChatResult, OpenAiPassthrough } from "../providers/spec/index.ts";

const chatPath = "/chat/completions";

const completionSchema = z.object({
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

/**
 * A whole chat reply from an OpenAI-compatible upstream through the gateway's passthrough: one
 * exchange read whole (no body stream, no AbortController), the reply checked with zod. A 2xx
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
  let parsed: z.infer<typeof completionSchema>;
  try {
    parsed = completionSchema.parse(JSON.parse(reply.body.toString("utf8")));
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
  const reasoning = message?.reasoning_content ?? message?.reasoning ?? undefined;
  const usage = fromOpenAiUsage(parsed.usage);
  return {
    text: message?.content ?? "",
    ...(reasoning ? { reasoning } : {}),
    toolCalls: (message?.tool_calls ?? []).map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })),
    finishReason: fromOpenAiFinishReason(choice?.finish_reason),
    ...(usage === undefined ? {} : { usage }),
    ...(parsed.id === undefined ? {} : { id: parsed.id }),
  };
}
