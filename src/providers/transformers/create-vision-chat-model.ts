import { errors } from "../../errors/errors.ts";
import type { ChatModel, ChatRequest, ImagePart, StreamPart } from "../spec/chat-model.ts";
import type { VisionModel } from "../spec/vision-model.ts";

/**
 * A vision-only model behind `/v1/chat/completions`: the last image in the conversation and the
 * text of the last user message become a query (no text: a caption). Tools, JSON modes and
 * earlier turns are beyond what such a model does, so they are refused or ignored.
 */
export function createVisionChatModel(providerId: string, modelName: string, vision: VisionModel): ChatModel {
  const pieces = (request: ChatRequest): AsyncIterable<string> => {
    if (request.tools !== undefined && request.tools.length > 0 && request.toolChoice !== "none") {
      throw errors.unsupported(`The model '${providerId}/${modelName}' is a local vision model and cannot call tools`, "tools");
    }
    let image: ImagePart | undefined;
    for (const message of request.messages) {
      if (typeof message.content === "string") continue;
      for (const part of message.content) if (part.type === "image") image = part;
    }
    if (image === undefined) {
      throw errors.unsupported(`The model '${providerId}/${modelName}' is a local vision model: send an image_url part`, "messages");
    }
    const lastUser = request.messages.findLast((message) => message.role === "user");
    const question = (
      typeof lastUser?.content === "string"
        ? lastUser.content
        : (lastUser?.content ?? []).map((part) => (part.type === "text" ? part.text : "")).join("\n")
    ).trim();
    const base = { model: modelName, image, ...(request.signal === undefined ? {} : { signal: request.signal }) };
    return question === "" ? vision.caption({ ...base, length: "normal" }) : vision.query({ ...base, question });
  };

  return {
    id: `${providerId}/${modelName}`,
    providerId,
    modelName,
    async generate(request) {
      let text = "";
      for await (const piece of pieces(request)) text += piece;
      return { text: text.trim(), toolCalls: [], finishReason: "stop" };
    },
    async *stream(request): AsyncIterable<StreamPart> {
      for await (const piece of pieces(request)) yield { type: "text-delta", text: piece };
      yield { type: "finish", finishReason: "stop" };
    },
  };
}
