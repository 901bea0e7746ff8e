import type { ConversationStore, NewMessage, StoredMessage } from "../../chat/conversation-store.ts";
import type { SessionLock } from "../../chat/session-lock.ts";
import type { ContentPart } from "../../providers/spec/index.ts";
import type { ConversationItem } from "./conversation-items.ts";

export interface RealtimeConversationLog {
  /** The chat session the turns go to; undefined for `new` until its first turn is stored. */
  readonly sessionId: string | undefined;
  /** The stored conversation as realtime items (what a continued session starts from); marks them stored. */
  load(): Promise<ConversationItem[]>;
  /**
   * Stores the items not stored yet, in order: a spoken turn's transcript (awaited) as the user
   * message, the reply's text as the assistant message, function calls and their outputs as in
   * chat. Calls run one after another; resolves with the ids of the messages written.
   */
  record(items: readonly ConversationItem[]): Promise<string[]>;
}

export interface RealtimeConversationLogOptions {
  conversations: ConversationStore;
  clientId: string;
  /** An existing chat session of the client (checked at the handshake), or "new". */
  sessionId: string;
  /** The session's chat model, stored on a new chat session. */
  model: () => string;
  /** The chat session lock: held while turns are written, so they never land inside a chat turn's (default: none). */
  sessionLock?: SessionLock;
  /** How often to try the lock again while a chat turn holds the session (default 50 ms). */
  retryMs?: number;
}

/** Takes the session, waiting while a chat turn holds it (it holds it for its whole turn). */
async function takeSession(lock: SessionLock, sessionId: string, retryMs: number): Promise<() => Promise<void>> {
  for (;;) {
    const release = await lock.acquire(sessionId);
    if (release !== undefined) return release;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/**
 * A realtime session's turns kept as a chat conversation (the /api/chat store), so a voice
 * conversation shows in the chat history like a typed one and a later session can continue it.
 */
export function createRealtimeConversationLog(options: RealtimeConversationLogOptions): RealtimeConversationLog {
  const { conversations } = options;
  let sessionId = options.sessionId === "new" ? undefined : options.sessionId;
  const stored = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve();

  const toMessage = async (item: ConversationItem): Promise<NewMessage | undefined> => {
    if (item.type === "function_call")
      return { role: "assistant", content: "", tool_calls: [{ id: item.callId, name: item.name, arguments: item.arguments }] };
    if (item.type === "function_call_output") return { role: "tool", content: item.output, tool_call_id: item.callId };
    if (item.role === "system") return undefined;
    const spoken = item.transcript === undefined ? undefined : await item.transcript.catch(() => "");
    const text = spoken ?? textOf(item.parts);
    if (text.trim() === "") return undefined;
    return { role: item.role, content: text, metadata: { source: spoken === undefined ? "realtime" : "realtime_audio" } };
  };

  return {
    get sessionId() {
      return sessionId;
    },
    async load() {
      if (sessionId === undefined) return [];
      const items = (await conversations.listMessages(sessionId)).flatMap(toItems);
      for (const item of items) stored.add(item.id);
      return items;
    },
    record(items) {
      const pending = items.filter((item) => !stored.has(item.id));
      for (const item of pending) stored.add(item.id);
      const run = queue.then(async () => {
        const messages: NewMessage[] = [];
        for (const item of pending) {
          const message = await toMessage(item);
          if (message !== undefined) messages.push(message);
        }
        if (messages.length === 0) return [];
        if (sessionId === undefined) {
          const first = messages.find((message) => message.role === "user")?.content ?? "Voice conversation";
          const line = first.trim().split("\n", 1)[0] ?? "";
          const title = line.length > 80 ? `${line.slice(0, 79)}…` : line || "Voice conversation";
          sessionId = (await conversations.createSession({ clientId: options.clientId, title, model: options.model() || null })).id;
        }
        const release =
          options.sessionLock === undefined ? undefined : await takeSession(options.sessionLock, sessionId, options.retryMs ?? 50);
        try {
          const ids: string[] = [];
          for (const message of messages) ids.push((await conversations.appendMessage(sessionId, message)).id);
          return ids;
        } finally {
          await release?.();
        }
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}

const itemIdOf = (message: StoredMessage) => `item_${message.id.replaceAll("-", "").slice(0, 24)}`;

function textOf(parts: readonly ContentPart[]): string {
  return parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** A stored chat message as the realtime conversation items it stands for (attachments are not carried over). */
function toItems(message: StoredMessage): ConversationItem[] {
  const id = itemIdOf(message);
  if (message.role === "tool")
    return message.tool_call_id === undefined
      ? []
      : [{ id, type: "function_call_output", callId: message.tool_call_id, output: message.content }];
  const items: ConversationItem[] = [];
  if (message.content !== "") items.push({ id, type: "message", role: message.role, parts: [{ type: "text", text: message.content }] });
  for (const [index, call] of (message.tool_calls ?? []).entries())
    items.push({ id: `${id}_${index}`, type: "function_call", callId: call.id, name: call.name, arguments: call.arguments });
  return items;
}
