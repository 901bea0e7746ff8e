import { type FileHandle, open } from "node:fs/promises";

// ONNX's protobuf field numbers (onnx/onnx.proto): ModelProto.graph = 7, GraphProto.output = 12,
// ValueInfoProto.name = 1. Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
const modelGraph = 7;
const graphOutput = 12;
const valueInfoName = 1;
const chunkBytes = 64 * 1024;

/**
 * The output names of an ONNX file's main graph, read without loading it: the protobuf is walked
 * field by field and everything else (nodes, initializers holding the weights) is skipped by its
 * length, so a graph of hundreds of megabytes costs a few small reads. Throws on a file that is
 * not a well-formed ONNX model.
 */
export async function readOnnxOutputNames(file: string): Promise<string[]> {
  const handle = await open(file, "r");
  try {
    const reader = new ProtobufFileReader(handle, (await handle.stat()).size);
    const names: string[] = [];
    await reader.messages(0, reader.size, modelGraph, (start, end) =>
      reader.messages(start, end, graphOutput, (outputStart, outputEnd) =>
        reader.messages(outputStart, outputEnd, valueInfoName, async (nameStart, nameEnd) => {
          names.push(new TextDecoder().decode(await reader.bytes(nameStart, nameEnd - nameStart)));
        }),
      ),
    );
    return names;
  } finally {
    await handle.close();
  }
}

/** Positioned reads through a small buffer; lengths beyond it are skipped, not read. */
class ProtobufFileReader {
  private buffer = new Uint8Array(0);
  private bufferStart = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** Calls `visit` with the payload range of each length-delimited field `wanted` in [start, end); other fields are skipped. */
  async messages(
    start: number,
    end: number,
    wanted: number,
    visit: (payloadStart: number, payloadEnd: number) => Promise<void>,
  ): Promise<void> {
    let position = start;
    while (position < end) {
      const [tag, afterTag] = await this.varint(position);
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0) throw new Error("not an ONNX model (field number 0)");
      if (wire === 0) position = (await this.varint(afterTag))[1];
      else if (wire === 1) position = afterTag + 8;
      else if (wire === 5) position = afterTag + 4;
      else if (wire === 2) {
        const [length, payloadStart] = await this.varint(afterTag);
        const payloadEnd = payloadStart + length;
        if (payloadEnd > end) throw new Error("not an ONNX model (a field runs past its message)");
        if (field === wanted) await visit(payloadStart, payloadEnd);
        position = payloadEnd;
      } else throw new Error(`not an ONNX model (wire type ${wire})`);
    }
    if (position !== end) throw new Error("not an ONNX model (a field runs past its message)");
  }

  async bytes(position: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const { bytesRead } = await this.handle.read(out, 0, length, position);
    if (bytesRead !== length) throw new Error("not an ONNX model (truncated)");
    return out;
  }

  /** A varint at `position` (up to 2^53) and the position after it. */
  private async varint(position: number): Promise<[number, number]> {
    let value = 0;
    let scale = 1;
    for (let index = position; index < position + 10; index++) {
      const byte = await this.byteAt(index);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return [value, index + 1];
      scale *= 128;
    }
    throw new Error("not an ONNX model (a varint over 10 bytes)");
  }

  private async byteAt(position: number): Promise<number> {
    if (position >= this.size) throw new Error("not an ONNX model (truncated)");
    if (position < this.bufferStart || position >= this.bufferStart + this.buffer.length) {
      this.buffer = new Uint8Array(Math.min(chunkBytes, this.size - position));
      this.bufferStart = position;
      await this.handle.read(this.buffer, 0, this.buffer.length, position);
    }
    return this.buffer[position - this.bufferStart] ?? 0;
  }
}
