import type { InputMessage } from "./chat-input.ts";

/**
 * Text-completion prompts over chat models. Station sends no raw prompt or FIM tokens (most of its
 * models are chat models behind a chat template), so a completion is asked for in words: continue
 * this text, or (with a suffix) fill in the middle between prefix and suffix.
 */
export function completionPrompt(prompt: string, suffix: string | undefined): InputMessage[] {
  if (suffix !== undefined && suffix.length > 0) {
    return [
      {
        role: "system",
        content:
          "You fill in the middle. Reply with only the text that belongs between <prefix> and <suffix>: no explanation, no repetition of either, no code fences.",
      },
      { role: "user", content: `<prefix>${prompt}</prefix><suffix>${suffix}</suffix>` },
    ];
  }
  return [
    { role: "system", content: "Continue the text exactly where it stops. Reply with only the continuation." },
    { role: "user", content: prompt },
  ];
}
