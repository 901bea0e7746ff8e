import type { Response } from "undici";
import { StationError } from "../errors/station-error.ts";

/** Reads a response body into memory, refusing (400 url_response_too_large) past `maxBytes`. */
export async function readLimitedBody(response: Response, maxBytes: number, param?: string): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(maxBytes, param);
  }
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    // Throwing out of the loop cancels the stream, which closes the connection.
    if (total > maxBytes) throw tooLarge(maxBytes, param);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number, param: string | undefined): StationError {
  return new StationError({
    code: "url_response_too_large",
    status: 400,
    param,
    message: `The resource at the URL is larger than ${maxBytes} bytes`,
  });
}
