import type { ChatMessage, ContentPart } from "../../providers/spec/index.ts";

/** One item of an OpenAI-dialect conversation as Station keeps it. */
export type ConversationItem =
  | {
      id: string;
      type: "message";
      role: "user" | "assistant" | "system";
      /** Text and images; a spoken user turn's text is its transcript, filled in when ready. */
      parts: ContentPart[];
      /** A spoken turn still being transcribed: responses wait for it. */
      transcript?: Promise<string>;
    }
  | { id: string; type: "function_call"; callId: string; name: string; arguments: string }
  | { id: string; type: "function_call_output"; callId: string; output: string };

/**
 * Items → chat messages: function calls join the assistant message before them (or make one),
 * their outputs become tool messages. Spoken turns are awaited (their transcript is the text).
 */
export async function toChatMessages(items: readonly ConversationItem[]): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = [];
  for (const item of items) {
    if (item.type === "message") {
      let parts = item.parts;
      if (item.transcript !== undefined) {
        const text = await item.transcript.catch(() => "");
        parts = [{ type: "text", text }, ...parts.filter((part) => part.type !== "text")];
      }
      const textOnly = parts.every((part) => part.type === "text");
      const content = textOnly ? parts.map((part) => (part.type === "text" ? part.text : "")).join("") : parts;
      if (item.role === "user" && typeof content === "string" && content.trim() === "") continue;
      messages.push({ role: item.role, content });
    } else if (item.type === "function_call") {
      const last = messages.at(-1);
      const call = { id: item.callId, name: item.name, arguments: item.arguments };
      if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), call];
      else messages.push({ role: "assistant", content: "", toolCalls: [call] });
    } else {
      messages.push({ role: "tool", toolCallId: item.callId, content: item.output });
    }
  }
  // A call without its output (the client never answered) would make most providers refuse the history.
  const answered = new Set(messages.filter((message) => message.role === "tool").map((message) => message.toolCallId));
  for (const message of messages) {
    if (message.toolCalls !== undefined) {
      message.toolCalls = message.toolCalls.filter((call) => answered.has(call.id));
      if (message.toolCalls.length === 0) delete message.toolCalls;
    }
  }
  return messages.filter((message) => message.role !== "assistant" || message.toolCalls !== undefined || message.content !== "");
}
