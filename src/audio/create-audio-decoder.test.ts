import { describe, expect, it } from "vitest";
import { createAudioDecoder } from "./create-audio-decoder.ts";
import { wavHeader } from "./pcm16.ts";

const decoder = createAudioDecoder({ maxBytes: 1e7, maxDurationSeconds: 60, ffmpegPath: "ffmpeg", ffmpegTimeoutMs: 10_000 });

/** 16-bit mono WAV of a ramp, at 16 kHz (no resampling: the samples come back as they were). */
function rampWav(frames: number): Buffer {
  const pcm = Buffer.alloc(frames * 2);
  for (let frame = 0; frame < frames; frame++) pcm.writeInt16LE(frame * 8 - 16_000, frame * 2);
  return Buffer.concat([wavHeader(16_000, pcm.byteLength), pcm]);
}

describe("createAudioDecoder", () => {
  it("reads a 16-bit WAV that sits at an odd offset inside a larger buffer (a file in a multipart body)", async () => {
    const wav = rampWav(4000);
    const body = Buffer.concat([Buffer.from("x"), wav, Buffer.from("--boundary--")]);
    const inBody = body.subarray(1, 1 + wav.byteLength);
    expect(inBody.byteOffset % 2).toBe(1);
    const fromView = await decoder.decode(inBody, "a.wav");
    const fromCopy = await decoder.decode(Buffer.from(wav), "a.wav");
    expect(fromView.samples.length).toBe(4000);
    expect(Array.from(fromView.samples)).toEqual(Array.from(fromCopy.samples));
    expect(fromView.samples[1]).toBeCloseTo((8 - 16_000) / 32768, 6);
  });
});
