import { endianness } from "node:os";

/** 16-bit little-endian PCM ↔ float samples: the wire format of OpenAI's `pcm` and of realtime audio. */
export function pcm16ToFloat(bytes: Uint8Array): Float32Array {
  const count = Math.floor(bytes.byteLength / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  const samples = new Float32Array(count);
  for (let index = 0; index < count; index++) samples[index] = view.getInt16(index * 2, true) / 32768;
  return samples;
}

export function floatToPcm16(samples: Float32Array): Buffer {
  const bytes = Buffer.allocUnsafe(samples.length * 2);
  // An Int16Array over the bytes is little-endian on every platform Node ships for but a few; 6x faster than writeInt16LE.
  if (littleEndian && bytes.byteOffset % 2 === 0) {
    const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, samples.length);
    for (let index = 0; index < samples.length; index++) {
      const value = samples[index] as number;
      pcm[index] = value >= 1 ? 32767 : value <= -1 ? -32768 : Math.round(value < 0 ? value * 32768 : value * 32767);
    }
    return bytes;
  }
  for (let index = 0; index < samples.length; index++) {
    const value = Math.max(-1, Math.min(1, samples[index] ?? 0));
    bytes.writeInt16LE(Math.round(value < 0 ? value * 32768 : value * 32767), index * 2);
  }
  return bytes;
}

const littleEndian = endianness() === "LE";

/** A WAV header for mono 16-bit PCM; `dataBytes` undefined: unknown length (a stream), as OpenAI's streamed wav does. */
export function wavHeader(sampleRate: number, dataBytes?: number): Buffer {
  const header = Buffer.alloc(44);
  const size = dataBytes ?? 0xffffffff - 36;
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(Math.min(0xffffffff, size + 36), 4);
  header.write("WAVE", 8, "latin1");
  header.write("fmt ", 12, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(size, 40);
  return header;
}
