import type { SpeechAudio, SpeechFormat } from "../providers/spec/index.ts";
import { floatToPcm16, pcm16ToFloat, wavHeader } from "./pcm16.ts";
import { resample } from "./resample.ts";
import type { FfmpegOptions } from "./run-ffmpeg.ts";
import { streamFfmpeg } from "./stream-ffmpeg.ts";

/** OpenAI's `pcm` is 24 kHz; PCM from a model at another rate is resampled to it. */
export const openAiPcmRate = 24_000;

/** The Content-Type OpenAI answers each format with. */
export const speechContentTypes: Record<SpeechFormat, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  pcm: "audio/pcm",
  opus: "audio/opus",
  flac: "audio/flac",
  aac: "audio/aac",
};

const ffmpegOutputs: Record<Exclude<SpeechFormat, "pcm" | "wav">, string[]> = {
  mp3: ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
  // libopus takes 8/12/16/24/48 kHz only.
  opus: ["-c:a", "libopus", "-ar", "48000", "-b:a", "32k", "-f", "ogg"],
  flac: ["-c:a", "flac", "-f", "flac"],
  aac: ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
};

/**
 * Speech in the format the client asked for: passed through when the model made it, else
 * encoded here — wav and pcm by Station itself, mp3/opus/flac/aac by ffmpeg — while it streams.
 */
export function encodeSpeech(audio: SpeechAudio, format: SpeechFormat, ffmpeg: FfmpegOptions): AsyncIterable<Uint8Array> {
  if (audio.format === format && (format !== "pcm" || audio.sampleRate === openAiPcmRate)) return audio.chunks;
  if (audio.format === "pcm") {
    if (format === "pcm") return resamplePcm16(audio.chunks, audio.sampleRate, openAiPcmRate);
    if (format === "wav") return prepend(wavHeader(audio.sampleRate), audio.chunks);
    const input = ["-f", "s16le", "-ar", String(audio.sampleRate), "-ac", "1", "-i", "pipe:0"];
    return streamFfmpeg(ffmpeg, [...input, ...ffmpegOutputs[format], "pipe:1"], audio.chunks);
  }
  // A server that answered another container than asked: transcode whatever it is.
  const output =
    format === "pcm"
      ? ["-f", "s16le", "-ac", "1", "-ar", String(openAiPcmRate)]
      : format === "wav"
        ? ["-f", "wav", "-ac", "1"]
        : ffmpegOutputs[format];
  return streamFfmpeg(ffmpeg, ["-i", "pipe:0", ...output, "pipe:1"], audio.chunks);
}

async function* prepend(first: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  yield* rest;
}

/** Chunk by chunk, carrying an odd trailing byte over (a chunk boundary may split a sample). */
export async function* resamplePcm16(chunks: AsyncIterable<Uint8Array>, fromRate: number, toRate: number): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    const bytes = carry.byteLength === 0 ? chunk : Buffer.concat([carry, chunk]);
    const even = bytes.byteLength & ~1;
    carry = bytes.subarray(even);
    if (even === 0) continue;
    yield floatToPcm16(resample(pcm16ToFloat(bytes.subarray(0, even)), fromRate, toRate));
  }
}
