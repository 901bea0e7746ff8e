/** What a WAV file's RIFF chunks say: the fmt chunk's fields and where the samples are (a view, never a copy). */
export interface WavContainer {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** The sub-format of WAVE_FORMAT_EXTENSIBLE (0xfffe) files: 1 PCM, 3 float. */
  subformat: number | undefined;
  /** The data chunk's size as its header gives it (0 or ~4 GB: unknown, a streamed file). */
  declaredBytes: number;
  /** The sample bytes the file holds (a view into it). */
  samples: Uint8Array;
}

/**
 * Reads the RIFF chunk list of a WAV file. Station only needs the format and the sample bytes, so
 * this walks the chunks in place (wavefile's parser copied the samples and every chunk); a
 * malformed list is an Error whose message says why.
 */
export function readWavContainer(data: Uint8Array): WavContainer {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const tag = (offset: number) =>
    String.fromCharCode(data[offset] ?? 0, data[offset + 1] ?? 0, data[offset + 2] ?? 0, data[offset + 3] ?? 0);
  if (data.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new Error("not a RIFF/WAVE file");
  let format: Omit<WavContainer, "declaredBytes" | "samples"> | undefined;
  let offset = 12;
  while (offset + 8 <= data.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > data.byteLength) throw new Error("the fmt chunk is too short");
      const audioFormat = view.getUint16(body, true);
      format = {
        audioFormat,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
        subformat: audioFormat === 0xfffe && size >= 26 && body + 26 <= data.byteLength ? view.getUint16(body + 24, true) : undefined,
      };
    } else if (id === "data") {
      if (format === undefined) throw new Error("the data chunk comes before the fmt chunk");
      return { ...format, declaredBytes: size, samples: data.subarray(body, Math.min(data.byteLength, body + size)) };
    }
    // Chunks are word-aligned: an odd size is followed by a pad byte.
    offset = body + size + (size % 2);
  }
  throw new Error(format === undefined ? "no fmt chunk" : "no data chunk");
}
