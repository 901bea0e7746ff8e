import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";
import { errors } from "../../errors/errors.ts";
import type { ChatMessage } from "../spec/index.ts";

/**
 * Our messages → node-llama-cpp's chat history. Tool results attach to the function call
 * they answer (node-llama-cpp renders call and result together through the chat template).
 * The history always ends with a model turn for the reply to continue.
 */
export function toLlamaChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const callsById = new Map<string, ChatModelFunctionCall>();
  let lastModelTurn: ChatModelResponse | undefined;

  for (const [index, message] of messages.entries()) {
    const text = textOf(message, index);
    switch (message.role) {
      case "system":
        history.push({ type: "system", text });
        break;
      case "user":
        history.push({ type: "user", text });
        break;
      case "assistant": {
        const turn: ChatModelResponse = { type: "model", response: text.length > 0 ? [text] : [] };
        for (const call of message.toolCalls ?? []) {
          const functionCall: ChatModelFunctionCall = {
            type: "functionCall",
            name: call.name,
            params: parseArguments(call.arguments),
            result: undefined,
          };
          callsById.set(call.id, functionCall);
          turn.response.push(functionCall);
        }
        history.push(turn);
        lastModelTurn = turn;
        break;
      }
      case "tool": {
        const call =
          (message.toolCallId === undefined ? undefined : callsById.get(message.toolCallId)) ??
          lastModelTurn?.response.find(
            (item): item is ChatModelFunctionCall => typeof item === "object" && item.type === "functionCall" && item.result === undefined,
          );
        if (call === undefined)
          throw errors.invalidRequest(
            `messages[${index}]: a tool message must answer a tool call of an earlier assistant message`,
            `messages[${index}]`,
          );
        call.result = parseArguments(text);
        break;
      }
    }
  }
  // A trailing assistant turn (a prefill, or tool calls now answered) is continued, as node-llama-cpp's own sessions do.
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

function textOf(message: ChatMessage, index: number): string {
  if (typeof message.content === "string") return message.content;
  return message.content
    .map((part) => {
      if (part.type === "text") return part.text;
      throw errors.unsupported(
        `messages[${index}] contains an image, but local GGUF models in Station read text only. Use a vision model (or the 'ocr' model to read text in images).`,
        `messages[${index}]`,
      );
    })
    .join("\n");
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
