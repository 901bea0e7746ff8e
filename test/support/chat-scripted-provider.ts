/**
 * A scripted chat Provider for tests of the chat application. It speaks the provider spec
 * exactly as an adapter does (src/providers/spec/chat-model.ts): text in several `text-delta`
 * parts, tool calls as `tool-call-delta` parts split like OpenAI's stream (id and name first,
 * then argument fragments), then `usage` and exactly one `finish`; it honours the abort signal.
 *
 *   const provider = createScriptedChatProvider("fake", (request) =>
 *     lastRole(request) === "tool" ? { text: `Result: ${lastContent(request)}` } : { toolCalls: [{ name: "x__y", arguments: {} }] });
 *   startTestStation({ providers: [provider], config: { defaults: { chatModel: "fake/scripted" } } })
 *   provider.requests   // every ChatRequest received, in order
 */
import type { ChatMessage, ChatModel, ChatRequest, ModelInfo, Provider, StreamPart } from "../../src/providers/spec/index.ts";

export interface ScriptedReply {
  text?: string;
  toolCalls?: { id?: string; name: string; arguments: unknown }[];
  usage?: { promptTokens: number; completionTokens: number };
  /** Stream the text, then wait until the request is aborted (a model that never finishes). */
  hangAfterText?: boolean;
  /** Fail the stream with this error after the text. */
  error?: Error;
}

export type ChatScript = (request: ChatRequest, callIndex: number) => ScriptedReply | Promise<ScriptedReply>;

export interface ScriptedChatProvider extends Provider {
  requests: ChatRequest[];
  /** Streams that ended because their signal aborted. */
  readonly aborted: number;
  setScript(script: ChatScript): void;
}

export function createScriptedChatProvider(id: string, script: ChatScript, modelNames: string[] = ["scripted"]): ScriptedChatProvider {
  let current = script;
  let aborted = 0;
  const requests: ChatRequest[] = [];

  const abortError = () => new DOMException("The operation was aborted", "AbortError");

  async function* stream(request: ChatRequest): AsyncGenerator<StreamPart> {
    const callIndex = requests.length;
    requests.push(request);
    const reply = await current(request, callIndex);
    const text = reply.text ?? "";
    for (let offset = 0; offset < text.length; offset += 5) {
      if (request.signal?.aborted) {
        aborted++;
        throw abortError();
      }
      yield { type: "text-delta", text: text.slice(offset, offset + 5) };
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (reply.hangAfterText) {
      await new Promise<void>((resolve) => {
        if (request.signal?.aborted) resolve();
        request.signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      aborted++;
      throw abortError();
    }
    if (reply.error !== undefined) {
      yield { type: "error", error: reply.error };
      return;
    }
    const calls = reply.toolCalls ?? [];
    for (const [index, call] of calls.entries()) {
      const argumentsText = typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
      yield { type: "tool-call-delta", index, id: call.id ?? `call_${callIndex}_${index}`, name: call.name, argumentsDelta: "" };
      for (let offset = 0; offset < argumentsText.length; offset += 7) {
        yield { type: "tool-call-delta", index, argumentsDelta: argumentsText.slice(offset, offset + 7) };
      }
    }
    const promptTokens = reply.usage?.promptTokens ?? 10;
    const completionTokens = reply.usage?.completionTokens ?? Math.max(1, Math.ceil(text.length / 4));
    const usage = { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
    yield { type: "usage", usage };
    yield { type: "finish", finishReason: calls.length > 0 ? "tool_calls" : "stop", usage };
  }

  const chatModel = (modelName: string): ChatModel => ({
    id: `${id}/${modelName}`,
    providerId: id,
    modelName,
    async generate() {
      throw new Error("the scripted provider only streams");
    },
    stream,
  });

  return {
    id,
    type: "scripted",
    requests,
    get aborted() {
      return aborted;
    },
    setScript(next) {
      current = next;
    },
    async listModels(): Promise<ModelInfo[]> {
      return modelNames.map((name) => ({
        id: `${id}/${name}`,
        providerId: id,
        name,
        capabilities: ["chat", "tools", "vision"],
        state: "available",
      }));
    },
    async health() {
      return { status: "ok" };
    },
    chatModel,
  };
}

export function lastMessage(request: ChatRequest): ChatMessage | undefined {
  return request.messages[request.messages.length - 1];
}

export function textOf(message: ChatMessage | undefined): string {
  if (message === undefined) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => (part.type === "text" ? part.text : `[image ${part.mediaType}]`)).join("");
}
