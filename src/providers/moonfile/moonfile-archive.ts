import { open } from "node:fs/promises";

/** One file inside a `.mf` archive: where its bytes start and how many there are. */
export interface MoonfileEntry {
  /** The stored name, e.g. "vision_encoder.onnx" (the client keys components on the last path segment). */
  name: string;
  offset: number;
  length: number;
}

export interface MoonfileIndex {
  entries: MoonfileEntry[];
  sizeBytes: number;
}

/**
 * The Moondream client's archive format (moonfile.py): the magic "MOON", a version byte (1),
 * then per file a big-endian u32 name length, the UTF-8 name, a big-endian u64 content length
 * and the content, up to the end of the file. Published models are gzipped (`.mf.gz`);
 * `station pull` unpacks those, so here the archive is always plain.
 */
export const moonfileMagic = Buffer.from("MOON", "latin1");
export const moonfileVersion = 1;

/** Walks the headers without reading the contents; throws with the reason a file is not a whole archive. */
export async function readMoonfileIndex(filePath: string): Promise<MoonfileIndex> {
  const handle = await open(filePath, "r");
  try {
    const { size } = await handle.stat();
    const readAt = async (position: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead < length) throw new Error(`the archive is truncated (${size} bytes, a header at byte ${position} is cut off)`);
      return buffer;
    };
    const header = await readAt(0, 5);
    if (!header.subarray(0, 4).equals(moonfileMagic)) throw new Error("not a Moondream .mf archive (no MOON magic bytes)");
    if (header[4] !== moonfileVersion) throw new Error(`unsupported .mf archive version ${header[4]} (Station reads version 1)`);
    const entries: MoonfileEntry[] = [];
    let position = 5;
    while (position < size) {
      const nameLength = (await readAt(position, 4)).readUInt32BE(0);
      if (nameLength === 0 || nameLength > 4096)
        throw new Error(`a file name length of ${nameLength} at byte ${position}: corrupt archive`);
      const name = (await readAt(position + 4, nameLength)).toString("utf8");
      const length = Number((await readAt(position + 4 + nameLength, 8)).readBigUInt64BE(0));
      const offset = position + 4 + nameLength + 8;
      if (offset + length > size) {
        throw new Error(`the archive is truncated: '${name}' needs ${length} bytes at byte ${offset}, the file has ${size}`);
      }
      entries.push({ name, offset, length });
      position = offset + length;
    }
    return { entries, sizeBytes: size };
  } finally {
    await handle.close();
  }
}

/** The bytes of one entry, read at its offset (a 600 MB archive is never read whole). */
export async function readMoonfileEntry(filePath: string, entry: MoonfileEntry): Promise<Uint8Array> {
  const handle = await open(filePath, "r");
  try {
    const buffer = Buffer.alloc(entry.length);
    const { bytesRead } = await handle.read(buffer, 0, entry.length, entry.offset);
    if (bytesRead < entry.length) throw new Error(`'${entry.name}' is cut off: the archive changed while it was read`);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** "onnx/vision_encoder.onnx" → { key: "vision_encoder", extension: "onnx" }, as the client splits names. */
export function moonfileComponent(name: string): { key: string; extension: string } {
  const base = name.split("/").at(-1) ?? name;
  const dot = base.indexOf(".");
  return dot < 0 ? { key: base, extension: "" } : { key: base.slice(0, dot), extension: base.slice(dot + 1) };
}
