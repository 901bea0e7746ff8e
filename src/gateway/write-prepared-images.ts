import type { PreparedImages } from "../chat-core/chat-relay.ts";
import { toOpenAiMessage } from "../providers/openai-compatible/to-openai-request.ts";
import type { ImagePart } from "../providers/spec/index.ts";
import type { ChatCompletionBody } from "./openai-schemas.ts";

/**
 * Writes the images the chat core took in back into the client's body before it is relayed, so a
 * relayed body never carries what the client sent (no SVG, no decompression bomb, no 8000-pixel
 * scan, no URL that local servers cannot fetch): each `image_url` becomes a data: URL of the
 * prepared image (other fields such as `detail` kept). For a model that cannot see, the messages
 * are replaced by the core's, where the images became the text OCR read from them.
 */
export function writePreparedImages(body: ChatCompletionBody, images: PreparedImages): void {
  if (images.read) {
    body.messages = images.messages.map(toOpenAiMessage) as ChatCompletionBody["messages"];
    return;
  }
  // The codec made one reference per image_url part, in order, and the core one image per reference.
  const prepared: ImagePart[] = [];
  for (const message of images.messages) {
    if (typeof message.content !== "string") for (const part of message.content) if (part.type === "image") prepared.push(part);
  }
  let next = 0;
  for (const message of body.messages) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content) {
      if (part.type !== "image_url") continue;
      const image = prepared[next++];
      if (image === undefined) return;
      const holder = part as { image_url: string | { url: string; detail?: string } };
      const dataUrl = `data:${image.mediaType};base64,${Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).toString("base64")}`;
      holder.image_url = typeof holder.image_url === "string" ? { url: dataUrl } : { ...holder.image_url, url: dataUrl };
    }
  }
}
