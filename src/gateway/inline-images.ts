import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { OpenAiChatMessage } from "./openai-schemas.ts";
import type { InlinedImages } from "./to-chat-request.ts";

export interface InlineImagesOptions {
  intake: Pick<ImageIntake, "fromReference">;
  signal?: AbortSignal | undefined;
}

/** True when any message carries an `image_url` part (a cheap scan: most requests have none). */
export function hasImages(messages: readonly OpenAiChatMessage[]): boolean {
  for (const message of messages) {
    if (Array.isArray(message.content)) for (const part of message.content) if (part.type === "image_url") return true;
  }
  return false;
}

/**
 * Takes every `image_url` part in through the image intake (http(s) URLs fetched through the SSRF
 * guard; format, byte and pixel limits; orientation; longest side bounded; re-encoded) and
 * rewrites it in place as a data: URL of the prepared image, so a relayed body never carries what
 * the client sent: no SVG, no decompression bomb, no 8000-pixel scan, no URL that local servers
 * (LM Studio, llama.cpp) cannot fetch. Returns the prepared images for adapters that take bytes.
 * Bad images are 4xx errors naming the part.
 */
export async function inlineImages(messages: readonly OpenAiChatMessage[], options: InlineImagesOptions): Promise<InlinedImages> {
  const images: InlinedImages = new Map();
  const jobs: Promise<void>[] = [];
  messages.forEach((message, messageIndex) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, partIndex) => {
      if (part.type !== "image_url") return;
      const param = `messages[${messageIndex}].content[${partIndex}].image_url`;
      const holder = part as { image_url: string | { url: string; detail?: string } };
      const url = typeof holder.image_url === "string" ? holder.image_url : holder.image_url.url;
      jobs.push(
        options.intake.fromReference(url, param, options.signal).then(({ part: image }) => {
          images.set(part, { data: image.data, mediaType: image.mediaType });
          const dataUrl = `data:${image.mediaType};base64,${Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).toString("base64")}`;
          holder.image_url = typeof holder.image_url === "string" ? { url: dataUrl } : { ...holder.image_url, url: dataUrl };
        }),
      );
    });
  });
  await Promise.all(jobs);
  return images;
}
