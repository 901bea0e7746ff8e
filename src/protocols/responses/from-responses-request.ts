import type { ChatInput, InputMessage } from "../../chat-core/chat-input.ts";
import type { ResponseFormat } from "../../providers/spec/index.ts";
import { type ResponseItem, toInputMessages } from "./response-items.ts";
import type { ResponsesBody } from "./responses-schemas.ts";

/**
 * A Responses request (its earlier items already loaded) → the chat core's neutral input. `items`
 * may be a string input as it is (one user turn), for a request that needs no items.
 */
export function fromResponsesRequest(body: ResponsesBody, items: readonly ResponseItem[] | string): ChatInput {
  const messages: InputMessage[] = [];
  // `instructions` are this request's only: a previous response's are not carried over (OpenAI's rule).
  if (body.instructions != null && body.instructions.length > 0) messages.push({ role: "system", content: body.instructions });
  if (typeof items === "string") messages.push({ role: "user", content: items });
  else toInputMessages(items, messages);
  const input: ChatInput = { model: body.model, messages, params: { messages: "input" } };
  if (body.tools !== undefined && body.tools.length > 0) {
    input.tools = body.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description == null ? {} : { description: tool.description }),
      parameters: tool.parameters ?? { type: "object", properties: {} },
    }));
  }
  const choice = body.tool_choice;
  if (choice !== undefined) input.toolChoice = typeof choice === "string" ? choice : { name: choice.name };
  if (body.temperature != null) input.temperature = body.temperature;
  if (body.top_p != null) input.topP = body.top_p;
  if (body.max_output_tokens != null) input.maxTokens = body.max_output_tokens;
  const format = body.text?.format;
  if (format !== undefined && format.type !== "text") input.responseFormat = toResponseFormat(format);
  return input;
}

function toResponseFormat(format: NonNullable<NonNullable<ResponsesBody["text"]>["format"]>): ResponseFormat {
  if (format.type !== "json_schema") return { type: "json_object" };
  const schema = format as { name?: string; schema: Record<string, unknown>; strict?: boolean | null };
  return {
    type: "json_schema",
    schema: schema.schema,
    ...(schema.name === undefined ? {} : { name: schema.name }),
    ...(schema.strict == null ? {} : { strict: schema.strict }),
  };
}
