import { readFile } from "node:fs/promises";
import path from "node:path";
import { serverSentEvents } from "../providers/http/server-sent-events.ts";
import { type ConnectionFlags, connectToServer } from "./server-connection.ts";

export interface CaptionFlags extends ConnectionFlags {
  question?: string;
  length: string;
  model?: string;
}

const mediaTypes: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".avif": "image/avif",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
};

/** `station caption <image>`: streams a caption (or, with --question, an answer) from the vision API. */
export async function captionCommand(image: string, flags: CaptionFlags): Promise<void> {
  const connection = connectToServer(flags);
  const imageUrl = /^https?:\/\//.test(image) ? image : await toDataUrl(image);
  const model = flags.model === undefined ? {} : { model: flags.model };
  const [route, body] =
    flags.question === undefined
      ? ["/v1/caption", { image_url: imageUrl, length: flags.length, stream: true, ...model }]
      : ["/v1/query", { image_url: imageUrl, question: flags.question, stream: true, ...model }];
  const response = await connection.request("POST", route, body, "text/event-stream");
  for await (const event of serverSentEvents(response.body!)) {
    const data = JSON.parse(event.data) as { chunk?: string; completed?: boolean; error?: { message?: string } | string };
    if (data.chunk !== undefined) process.stdout.write(data.chunk);
    if (data.error !== undefined) throw new Error(typeof data.error === "string" ? data.error : (data.error.message ?? "vision error"));
    if (data.completed) break;
  }
  process.stdout.write("\n");
}

async function toDataUrl(file: string): Promise<string> {
  const bytes = await readFile(file);
  const mediaType = mediaTypes[path.extname(file).toLowerCase()] ?? "application/octet-stream";
  return `data:${mediaType};base64,${bytes.toString("base64")}`;
}
