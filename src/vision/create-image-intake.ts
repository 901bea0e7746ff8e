import { createHash } from "node:crypto";
import type { Metadata } from "sharp";
import type { StationConfig } from "../config/schema.ts";
import { isStationError, StationError } from "../errors/station-error.ts";
import { createGuardedFetch, type GuardedFetch } from "../net/create-guarded-fetch.ts";
import { readLimitedBody } from "../net/read-limited-body.ts";
import { createImageCache, type ImageCache } from "./create-image-cache.ts";
import type { PreparedImage } from "./prepared-image.ts";

/** Formats decoded by libvips that are safe to accept from strangers (no SVG/PDF: they fetch and script). */
const allowedFormats = new Set(["jpeg", "png", "webp", "gif", "tiff", "avif", "heif"]);
/** Longest side sent to models; vision encoders work at ~378-1024 px, so more is only cost. */
const maxSidePixels = 2048;

export interface ImageIntake {
  /** A data: URL, an http(s) URL, or bare base64; `signal` stops a fetch. */
  fromReference(reference: string, param?: string, signal?: AbortSignal): Promise<PreparedImage>;
  /** Raw bytes (multipart uploads). */
  fromBytes(bytes: Uint8Array, param?: string): Promise<PreparedImage>;
  readonly cache: ImageCache<PreparedImage>;
  close(): Promise<void>;
}

export interface ImageIntakeOptions {
  vision: StationConfig["vision"];
  allowPrivateNetworks: boolean;
  fetch?: GuardedFetch;
}

/**
 * The one way any image enters Station. Checks size, format and pixel count from the header
 * before decoding (decompression bombs), orients by EXIF, bounds the longest side, re-encodes
 * (JPEG, or PNG when there is transparency) and caches the result by content hash so repeated
 * questions about the same image skip the decode.
 */
export function createImageIntake(options: ImageIntakeOptions): ImageIntake {
  const { maxImageBytes, maxPixels, fetchTimeoutMs } = options.vision;
  const cacheEntries = options.vision.cacheEntries;
  const cache = createImageCache<PreparedImage>({ maxEntries: cacheEntries, maxBytes: 256 * 1024 * 1024 });
  const fetchImage =
    options.fetch ?? createGuardedFetch({ allowPrivateNetworks: options.allowPrivateNetworks, timeoutMs: fetchTimeoutMs, maxRedirects: 3 });

  const fromBytes = async (bytes: Uint8Array, param = "image"): Promise<PreparedImage> => {
    if (bytes.byteLength === 0) throw invalidImage("The image is empty (0 bytes)", param);
    if (bytes.byteLength > maxImageBytes) {
      throw new StationError({
        code: "image_too_large",
        status: 413,
        param,
        message: `The image is ${bytes.byteLength} bytes; the limit is ${maxImageBytes} (vision.maxImageBytes)`,
      });
    }
    const contentHash = createHash("sha256").update(bytes).digest("hex");
    if (cacheEntries === 0) return prepare(bytes, contentHash, maxPixels, param);
    return cache.getOrCreate(contentHash, () => prepare(bytes, contentHash, maxPixels, param));
  };

  const fromUrl = async (url: string, param: string, signal: AbortSignal | undefined): Promise<PreparedImage> => {
    let response: Awaited<ReturnType<GuardedFetch>>;
    try {
      response = await fetchImage(url, signal === undefined ? {} : { signal });
    } catch (error) {
      // The guard's errors (url_not_allowed, url_timeout, ...) name the field that held the URL.
      throw isStationError(error) && error.param === undefined ? withParam(error, param) : error;
    }
    if (response.status < 200 || response.status >= 300) {
      await response.body?.cancel();
      throw new StationError({
        code: "image_fetch_failed",
        status: 400,
        param,
        message: `Fetching the image URL answered HTTP ${response.status}`,
      });
    }
    return fromBytes(await readLimitedBody(response, maxImageBytes, param), param);
  };

  return {
    fromBytes,
    async fromReference(reference, param = "image_url", signal) {
      const trimmed = reference.trim();
      if (/^https?:\/\//i.test(trimmed)) return fromUrl(trimmed, param, signal);
      return fromBytes(decodeDataOrBase64(trimmed, maxImageBytes, param), param);
    },
    cache,
    async close() {
      cache.clear();
      if (options.fetch === undefined) await fetchImage.close();
    },
  };
}

async function prepare(bytes: Uint8Array, contentHash: string, maxPixels: number, param: string): Promise<PreparedImage> {
  // sharp (libvips, ~30 MB) loads with the first image, not at start-up.
  const { default: sharp } = await import("sharp");
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw invalidImage("The data is not an image Station can read (JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIF)", param);
  }
  if (metadata.format === undefined || !allowedFormats.has(metadata.format)) {
    throw new StationError({
      code: "unsupported_image_format",
      status: 400,
      param,
      message: `Images in '${metadata.format ?? "unknown"}' format are not accepted; send JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF`,
    });
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width === 0 || height === 0) throw invalidImage("The image has no dimensions", param);
  // Checked from the header, before a single pixel is decoded: a tiny file can claim gigapixels.
  if (width * height > maxPixels) {
    throw new StationError({
      code: "image_too_large",
      status: 400,
      param,
      message: `The image is ${width}×${height} (${width * height} pixels); the limit is ${maxPixels} pixels (vision.maxPixels)`,
    });
  }
  const hasAlpha = metadata.hasAlpha === true;
  try {
    const pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: "truncated", autoOrient: true }).resize({
      width: maxSidePixels,
      height: maxSidePixels,
      fit: "inside",
      withoutEnlargement: true,
    });
    const encoded = hasAlpha ? pipeline.png() : pipeline.jpeg({ quality: 90 });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return {
      part: {
        type: "image",
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        mediaType: hasAlpha ? "image/png" : "image/jpeg",
      },
      contentHash,
      width: info.width,
      height: info.height,
      sourceFormat: metadata.format,
      byteLength: data.byteLength,
    };
  } catch {
    throw invalidImage("The image is corrupt or truncated and could not be decoded", param);
  }
}

function decodeDataOrBase64(reference: string, maxImageBytes: number, param: string): Uint8Array {
  let payload = reference;
  const dataUrl = /^data:([^;,]*)((?:;[^;,]*)*),/i.exec(reference);
  if (dataUrl !== null) {
    if (!/;base64/i.test(dataUrl[2] ?? "")) throw invalidImage("Only base64 data: URLs are accepted", param);
    // The bytes decide the format, but a data: URL that says it is something else is a mistake.
    const declared = (dataUrl[1] ?? "").trim().toLowerCase();
    if (declared !== "" && !declared.startsWith("image/") && declared !== "application/octet-stream") {
      throw invalidImage(`The data: URL holds '${declared.slice(0, 100)}', not an image`, param);
    }
    payload = reference.slice(dataUrl[0].length);
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(reference) && !/^[A-Za-z0-9+/]+={0,2}$/.test(reference)) {
    throw invalidImage("Send the image as a data: URL, an http(s) URL or base64", param);
  }
  // Base64 is 4/3 of the bytes: refuse early rather than decode a huge string.
  if ((payload.length * 3) / 4 > maxImageBytes + 4) {
    throw new StationError({
      code: "image_too_large",
      status: 413,
      param,
      message: `The image is larger than ${maxImageBytes} bytes (vision.maxImageBytes)`,
    });
  }
  const compact = payload.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw invalidImage("The image data is not valid base64", param);
  return Buffer.from(compact, compact.includes("-") || compact.includes("_") ? "base64url" : "base64");
}

function withParam(error: StationError, param: string): StationError {
  return new StationError({
    code: error.code,
    status: error.status,
    message: error.message,
    param,
    isRetryable: error.isRetryable,
    retryAfterSeconds: error.retryAfterSeconds,
    cause: error,
  });
}

function invalidImage(message: string, param: string): StationError {
  return new StationError({ code: "invalid_image", status: 400, param, message });
}
