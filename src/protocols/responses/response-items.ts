import type { InputMessage, InputPart } from "../../chat-core/chat-input.ts";
import { errors } from "../../errors/errors.ts";
import type { ChatResult } from "../../providers/spec/index.ts";
import { randomHexId } from "../random-hex-id.ts";
import type { ResponseInputItem } from "./responses-schemas.ts";

/** An item as the Responses API stores and lists it: every item has an id and a status. */
export type ResponseItem = Record<string, unknown> & { id: string; type: string };

export function itemId(prefix: string): string {
  return randomHexId(`${prefix}_`, 16);
}

/** The request's `input` as stored items (a string is one user message), ids assigned. */
export function toInputItems(input: string | ResponseInputItem[]): ResponseItem[] {
  if (typeof input === "string") {
    return [{ id: itemId("msg"), type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: input }] }];
  }
  return input.map((item): ResponseItem => {
    if (item.type === "function_call") return { ...item, id: item.id ?? itemId("fc"), type: "function_call", status: "completed" };
    if (item.type === "function_call_output") {
      return { ...item, id: item.id ?? itemId("fco"), type: "function_call_output", status: "completed" };
    }
    if (item.type === "reasoning") return { ...item, id: (item as { id?: string }).id ?? itemId("rs"), type: "reasoning" };
    const message = item as Extract<ResponseInputItem, { role: string }>;
    const textType = message.role === "assistant" ? "output_text" : "input_text";
    const content = typeof message.content === "string" ? [{ type: textType, text: message.content }] : message.content;
    return { ...message, id: message.id ?? itemId("msg"), type: "message", status: "completed", content };
  });
}

/** The model's reply as output items: reasoning, then the message, then function calls. */
export function toOutputItems(result: ChatResult): ResponseItem[] {
  const items: ResponseItem[] = [];
  if (result.reasoning !== undefined && result.reasoning.length > 0) items.push(reasoningItem(itemId("rs"), result.reasoning));
  if (result.text.length > 0 || result.toolCalls.length === 0) items.push(messageItem(itemId("msg"), result.text, "completed"));
  for (const call of result.toolCalls) items.push(functionCallItem(itemId("fc"), call.id, call.name, call.arguments, "completed"));
  return items;
}

export function messageItem(id: string, text: string, status: string): ResponseItem {
  return {
    id,
    type: "message",
    status,
    role: "assistant",
    content: status === "in_progress" ? [] : [{ type: "output_text", text, annotations: [], logprobs: [] }],
  };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: string): ResponseItem {
  return { id, type: "function_call", status, arguments: args, call_id: callId, name };
}

export function reasoningItem(id: string, text: string | undefined): ResponseItem {
  return { id, type: "reasoning", summary: [], ...(text === undefined ? {} : { content: [{ type: "reasoning_text", text }] }) };
}

/**
 * Stored and new items → the chat core's messages (appended to `messages`, when given).
 * Consecutive function calls join one assistant turn (chat models take a turn's calls together);
 * reasoning items are not sent back.
 */
export function toInputMessages(items: readonly ResponseItem[], messages: InputMessage[] = []): InputMessage[] {
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as ResponseItem;
    if (item.type === "function_call") {
      const call = { id: String(item.call_id), name: String(item.name), arguments: String(item.arguments) };
      const last = messages.at(-1);
      if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), call];
      else messages.push({ role: "assistant", content: "", toolCalls: [call] });
      continue;
    }
    if (item.type === "function_call_output") {
      const output = item.output as string | { type: string; text?: string }[];
      const text =
        typeof output === "string" ? output : output.flatMap((part) => (part.type === "input_text" ? [part.text ?? ""] : [])).join("\n");
      messages.push({ role: "tool", toolCallId: String(item.call_id), content: text });
      continue;
    }
    if (item.type !== "message") continue;
    const role = item.role === "developer" ? "system" : (item.role as InputMessage["role"]);
    messages.push({ role, content: messageContent(item.content as MessagePart[], index) });
  }
  return messages;
}

type MessagePart = { type: string; text?: string; refusal?: string; image_url?: string | null; file_id?: string | null };

/** A message item's parts as the core's content: text joined, or parts when there is an image (params named only then). */
function messageContent(content: readonly MessagePart[], index: number): string | InputPart[] {
  // Nearly every message is one text part (a string input is one).
  if (content.length === 1) {
    const only = content[0] as MessagePart;
    if (only.type === "input_text" || only.type === "output_text") return only.text ?? "";
  }
  const parts: InputPart[] = [];
  let onlyText = true;
  for (let partIndex = 0; partIndex < content.length; partIndex++) {
    const part = content[partIndex] as MessagePart;
    if (part.type === "input_text" || part.type === "output_text") parts.push({ type: "text", text: part.text ?? "" });
    else if (part.type === "refusal") parts.push({ type: "text", text: part.refusal ?? "" });
    else if (part.type === "input_image" && typeof part.image_url === "string") {
      onlyText = false;
      parts.push({ type: "image-reference", url: part.image_url, param: `input[${index}].content[${partIndex}].image_url` });
    } else if (part.type === "input_image") {
      throw errors.unsupported(
        "Station takes input_image as image_url (a data: or http(s) URL); file_id is not supported",
        `input[${index}].content[${partIndex}]`,
      );
    }
  }
  return onlyText ? parts.map((part) => (part as { text: string }).text).join("") : parts;
}
