/**
 * A provider of fake vision chat models for tests, injected with `startTestStation({ providers })`.
 * Models: `<id>/seer` (chat + vision), `<id>/locator` (also detect + point: it answers the
 * JSON-schema location prompt), `<id>/blind` (chat only). Replies name the image's media type
 * and byte count so tests can check the image reached the model.
 */
import type { ChatModel, ChatRequest, ChatResult, ImagePart, StreamPart } from "../../src/providers/spec/chat-model.ts";
import type { ModelInfo, Provider } from "../../src/providers/spec/provider.ts";

export interface VisionFakeChatProvider extends Provider {
  requests: ChatRequest[];
}

export function createVisionFakeChatProvider(id = "fakechat"): VisionFakeChatProvider {
  const requests: ChatRequest[] = [];
  const models: ModelInfo[] = [
    { id: `${id}/seer`, providerId: id, name: "seer", capabilities: ["chat", "vision"], state: "available" },
    { id: `${id}/locator`, providerId: id, name: "locator", capabilities: ["chat", "vision", "detect", "point"], state: "available" },
    { id: `${id}/blind`, providerId: id, name: "blind", capabilities: ["chat"], state: "available" },
  ];

  const reply = (request: ChatRequest): string => {
    requests.push(request);
    const last = request.messages.at(-1);
    const parts = typeof last?.content === "string" ? [] : (last?.content ?? []);
    const image = parts.find((part): part is ImagePart => part.type === "image");
    const text = parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join(" ");
    if (request.responseFormat?.type === "json_schema") {
      const wantsBoxes = JSON.stringify(request.responseFormat.schema).includes("x_min");
      return JSON.stringify(
        wantsBoxes ? { objects: [{ x_min: 0.25, y_min: 0.25, x_max: 0.75, y_max: 1.4 }] } : { points: [{ x: 0.5, y: 0.5 }] },
      );
    }
    const seen = image === undefined ? "no image" : `a ${image.mediaType} of ${image.data.byteLength} bytes`;
    return `${request.model} saw ${seen}; prompt: ${text}`;
  };

  const chatModel = (name: string): ChatModel => ({
    id: `${id}/${name}`,
    providerId: id,
    modelName: name,
    async generate(request): Promise<ChatResult> {
      return { text: reply(request), toolCalls: [], finishReason: "stop" };
    },
    async *stream(request): AsyncIterable<StreamPart> {
      const text = reply(request);
      for (const piece of text.match(/.{1,8}/gs) ?? []) yield { type: "text-delta", text: piece };
      yield { type: "finish", finishReason: "stop" };
    },
  });

  return {
    id,
    type: "fake-vision-chat",
    requests,
    async listModels() {
      return models;
    },
    async health() {
      return { status: "ok" };
    },
    chatModel,
  };
}
