/**
 * Images for vision tests, made on the spot (no fixtures): real encodings from sharp, and
 * hostile ones built byte by byte: a truncated PNG and a decompression bomb.
 */
import { deflateSync } from "node:zlib";
import sharp from "sharp";

/** A real PNG of a given size and colour. */
export async function solidPng(width: number, height: number, colour = { r: 200, g: 40, b: 40 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

/** A real JPEG with EXIF orientation 6 (stored landscape, shown portrait). */
export async function rotatedJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** The first half of a real PNG: a valid header, then the data stops. */
export async function truncatedPng(): Promise<Buffer> {
  const whole = await solidPng(256, 256, { r: 1, g: 2, b: 3 });
  return whole.subarray(0, Math.floor(whole.length / 2));
}

/**
 * A 1-bit greyscale PNG that claims `width`×`height` pixels (20000×20000 = 400 megapixels, 1.6 GB
 * decoded as RGBA) in a file of a few hundred kilobytes: every row is zeros, which deflate
 * squeezes ~1000:1. Built directly, so no library ever decodes it here.
 */
export function pngBomb(width = 20_000, height = 20_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(width / 8);
  const raw = Buffer.alloc(rowBytes * height);
  const compressed = deflateSync(raw, { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", compressed),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([length, body, crc]);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function toDataUrl(bytes: Buffer, mediaType = "image/png"): string {
  return `data:${mediaType};base64,${bytes.toString("base64")}`;
}
