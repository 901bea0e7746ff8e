import type { ChatMessage } from "../providers/spec/index.ts";

export interface ConversationHistory {
  /** Every remembered message, oldest first (system prompt not included). */
  messages(): ChatMessage[];
  /** Remembers one turn: its user message, then what the model and the tools said. */
  addTurn(messages: ChatMessage[]): void;
  readonly turns: number;
  readonly chars: number;
}

export interface ConversationHistoryOptions {
  maxTurns: number;
  maxChars: number;
}

/**
 * A realtime session's memory, in process only and bounded both in turns and in text. Whole
 * turns are forgotten, oldest first, so a tool call is never separated from its result (OpenAI
 * refuses a history where that happens). Images are not kept: the turn's text carries on.
 */
export function createConversationHistory(options: ConversationHistoryOptions): ConversationHistory {
  const turns: { messages: ChatMessage[]; chars: number }[] = [];
  let chars = 0;
  return {
    messages: () => turns.flatMap((turn) => turn.messages),
    addTurn(messages) {
      const kept = messages.map(withoutImages);
      const size = kept.reduce((total, message) => total + charsOf(message), 0);
      turns.push({ messages: kept, chars: size });
      chars += size;
      while (turns.length > 0 && (turns.length > options.maxTurns || chars > options.maxChars)) {
        chars -= turns.shift()?.chars ?? 0;
      }
    },
    get turns() {
      return turns.length;
    },
    get chars() {
      return chars;
    },
  };
}

function withoutImages(message: ChatMessage): ChatMessage {
  if (typeof message.content === "string") return message;
  const text = message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
  return { ...message, content: text };
}

function charsOf(message: ChatMessage): number {
  const content = typeof message.content === "string" ? message.content.length : 0;
  return content + (message.toolCalls ?? []).reduce((total, call) => total + call.name.length + call.arguments.length, 0);
}
