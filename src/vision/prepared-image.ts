import type { ImagePart } from "../providers/spec/chat-model.ts";

/** An image after intake: validated, EXIF-oriented, bounded in size, re-encoded, hashed. */
export interface PreparedImage {
  part: ImagePart;
  /** sha256 (hex) of the bytes the caller sent: the encoding cache key. */
  contentHash: string;
  /** Dimensions after orientation and resizing. */
  width: number;
  height: number;
  /** What the caller sent: jpeg, png, webp, gif, tiff, avif, heif. */
  sourceFormat: string;
  byteLength: number;
}
