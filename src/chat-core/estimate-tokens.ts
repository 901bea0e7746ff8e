import type { ChatInput } from "./chat-input.ts";

/** Characters per token of English text in common BPE vocabularies (OpenAI's rule of thumb). */
const charactersPerToken = 4;
/** What one image costs in most vision encoders' token budgets (a 512-px tile). */
const tokensPerImage = 256;
/** Role markers and separators a chat template adds per message. */
const tokensPerMessage = 4;

/**
 * An estimate of the prompt's tokens: Station cannot run every upstream's tokenizer, so
 * count_tokens-style endpoints answer with this (text length / 4, plus per-message and
 * per-image overheads, plus the tool definitions).
 */
export function estimateTokens(input: Pick<ChatInput, "messages" | "tools">): number {
  let characters = 0;
  let tokens = 0;
  for (const message of input.messages) {
    tokens += tokensPerMessage;
    if (typeof message.content === "string") characters += message.content.length;
    else
      for (const part of message.content) {
        if (part.type === "text") characters += part.text.length;
        else tokens += tokensPerImage;
      }
    for (const call of message.toolCalls ?? []) characters += call.name.length + call.arguments.length;
  }
  for (const tool of input.tools ?? []) characters += JSON.stringify(tool).length;
  return tokens + Math.ceil(characters / charactersPerToken);
}
