import { createHash } from "node:crypto";

/** The encoding-cache key of a request's image: the hash the vision service computed, else SHA-256 of its bytes. */
export function contentHashOf(request: { contentHash?: string | undefined; image: { data: Uint8Array } }): string {
  return request.contentHash ?? createHash("sha256").update(request.image.data).digest("hex");
}
