/**
 * Decides a file's media type from its first bytes, never from what the uploader claimed, so a
 * file can only be served back as what it really is. HTML, SVG and other active text come out as
 * text/plain: an upload must never run script in the browser that views it.
 */
export function sniffMediaType(bytes: Uint8Array, filename?: string): string {
  const startsWith = (signature: number[], offset = 0) => signature.every((byte, index) => bytes[offset + index] === byte);
  const ascii = (text: string, offset = 0) =>
    startsWith(
      [...text].map((character) => character.charCodeAt(0)),
      offset,
    );

  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (ascii("GIF87a") || ascii("GIF89a")) return "image/gif";
  if (ascii("RIFF") && ascii("WEBP", 8)) return "image/webp";
  if (ascii("RIFF") && ascii("WAVE", 8)) return "audio/wav";
  if (ascii("BM") && bytes.length > 14) return "image/bmp";
  if (startsWith([0x49, 0x49, 0x2a, 0x00]) || startsWith([0x4d, 0x4d, 0x00, 0x2a])) return "image/tiff";
  if (ascii("ftyp", 4)) {
    if (ascii("avif", 8) || ascii("avis", 8)) return "image/avif";
    if (ascii("heic", 8) || ascii("heix", 8) || ascii("mif1", 8)) return "image/heic";
    return "video/mp4";
  }
  if (ascii("%PDF-")) return "application/pdf";
  if (ascii("OggS")) return "audio/ogg";
  if (ascii("ID3") || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return "audio/mpeg";
  if (ascii("fLaC")) return "audio/flac";
  if (startsWith([0x50, 0x4b, 0x03, 0x04])) return "application/zip";
  if (startsWith([0x1f, 0x8b])) return "application/gzip";
  if (isUtf8Text(bytes)) return textType(bytes, filename);
  return "application/octet-stream";
}

export function isImageType(mediaType: string): boolean {
  return ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff", "image/avif", "image/heic"].includes(mediaType);
}

export function isTextType(mediaType: string): boolean {
  return mediaType.startsWith("text/") || mediaType.startsWith("application/json");
}

function isUtf8Text(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function textType(bytes: Uint8Array, filename: string | undefined): string {
  const extension = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  if (extension === "md" || extension === "markdown") return "text/markdown; charset=utf-8";
  if (extension === "csv") return "text/csv; charset=utf-8";
  const text = new TextDecoder().decode(bytes.subarray(0, 64 * 1024)).trim();
  if ((text.startsWith("{") || text.startsWith("[")) && bytes.length <= 64 * 1024) {
    try {
      JSON.parse(text);
      return "application/json; charset=utf-8";
    } catch {
      // Not JSON: plain text.
    }
  }
  return "text/plain; charset=utf-8";
}
