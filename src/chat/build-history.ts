import type { ChatMessage, ContentPart } from "../providers/spec/index.ts";
import type { StoredAttachment, StoredMessage } from "./conversation-store.ts";

/**
 * Turns stored messages into the history a model is sent. Deleting single messages can leave
 * a tool result without the call that asked for it, or a call without its result; providers
 * reject both, so such halves are dropped here rather than refused at delete time.
 */
export async function buildHistory(
  stored: StoredMessage[],
  loadAttachments: (attachments: StoredAttachment[]) => Promise<ContentPart[]>,
): Promise<ChatMessage[]> {
  const answered = new Set(
    stored.filter((message) => message.role === "tool" && message.tool_call_id !== undefined).map((message) => message.tool_call_id),
  );
  const asked = new Set<string>();
  const history: ChatMessage[] = [];
  for (const message of stored) {
    if (message.role === "tool") {
      if (message.tool_call_id === undefined || !asked.has(message.tool_call_id)) continue;
      history.push({
        role: "tool",
        content: message.content,
        toolCallId: message.tool_call_id,
        ...(message.name === undefined ? {} : { name: message.name }),
      });
      continue;
    }
    if (message.role === "assistant") {
      const toolCalls = (message.tool_calls ?? []).filter((call) => answered.has(call.id));
      for (const call of toolCalls) asked.add(call.id);
      if (toolCalls.length === 0 && message.content === "") continue;
      history.push({ role: "assistant", content: message.content, ...(toolCalls.length === 0 ? {} : { toolCalls }) });
      continue;
    }
    if (message.role === "user" && message.attachments !== undefined && message.attachments.length > 0) {
      const parts = await loadAttachments(message.attachments);
      history.push({ role: "user", content: [{ type: "text", text: message.content }, ...parts] });
      continue;
    }
    history.push({ role: message.role, content: message.content });
  }
  return history;
}
