import { StationError } from "../errors/station-error.ts";
import type { GuardedFetch } from "../net/create-guarded-fetch.ts";
import { readLimitedBody } from "../net/read-limited-body.ts";
import type { OpenAiChatMessage } from "./openai-schemas.ts";
import type { InlinedImages } from "./to-chat-request.ts";

export interface InlineImagesOptions {
  fetch: GuardedFetch;
  maxImageBytes: number;
  signal?: AbortSignal | undefined;
}

const dataUrlPattern = /^data:(image\/[a-z0-9.+-]+);base64,(.*)$/is;
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when any message carries an `image_url` part (a cheap scan: most requests have none). */
export function hasImages(messages: readonly OpenAiChatMessage[]): boolean {
  for (const message of messages) {
    if (Array.isArray(message.content)) for (const part of message.content) if (part.type === "image_url") return true;
  }
  return false;
}

/**
 * Checks every `image_url` part, fetches http(s) URLs through the SSRF guard and rewrites them
 * in place as data: URLs (local servers such as LM Studio and llama.cpp cannot fetch URLs).
 * Returns the decoded images for adapters that take bytes. Bad images are 400s naming the part.
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
        loadImage(url, param, options).then((image) => {
          images.set(part, image);
          if (!url.startsWith("data:")) {
            const dataUrl = `data:${image.mediaType};base64,${Buffer.from(image.data).toString("base64")}`;
            holder.image_url = typeof holder.image_url === "string" ? { url: dataUrl } : { ...holder.image_url, url: dataUrl };
          }
        }),
      );
    });
  });
  await Promise.all(jobs);
  return images;
}

async function loadImage(
  url: string,
  param: string,
  options: InlineImagesOptions,
): Promise<{ data: Uint8Array; mediaType: string; url?: string }> {
  if (url.startsWith("data:")) {
    const match = dataUrlPattern.exec(url);
    if (match === null) throw invalidImage(param, "a data: URL must look like data:image/<type>;base64,<data>");
    const encoded = (match[2] ?? "").replace(/\s+/g, "");
    if (encoded.length === 0 || !base64Pattern.test(encoded)) throw invalidImage(param, "the data: URL does not hold valid base64");
    const data = Buffer.from(encoded, "base64");
    if (data.byteLength > options.maxImageBytes) throw invalidImage(param, `the image is larger than ${options.maxImageBytes} bytes`);
    return { data, mediaType: (match[1] ?? "image/png").toLowerCase() };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidImage(param, "expected a data: URL or an http(s) URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw invalidImage(param, "expected a data: URL or an http(s) URL");
  const response = await options.fetch(parsed, { signal: options.signal ?? null });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw invalidImage(param, `fetching the image URL answered HTTP ${response.status}`);
  }
  const mediaType = (response.headers.get("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (!mediaType.startsWith("image/")) {
    await response.body?.cancel();
    throw invalidImage(param, `the URL did not return an image (content-type '${mediaType || "none"}')`);
  }
  const data = await readLimitedBody(response, options.maxImageBytes, param);
  return { data, mediaType, url };
}

function invalidImage(param: string, reason: string): StationError {
  return new StationError({ code: "invalid_image", status: 400, param, message: `Invalid image in ${param}: ${reason}` });
}
