import { StationError } from "../errors/station-error.ts";
import type { AudioInput } from "../providers/spec/index.ts";
import { pcm16ToFloat, wavHeader } from "./pcm16.ts";
import { readWavContainer, type WavContainer } from "./read-wav-container.ts";
import { resample } from "./resample.ts";
import { runFfmpeg } from "./run-ffmpeg.ts";
import { type AudioContainer, audioMediaType, sniffAudioType } from "./sniff-audio-type.ts";

/** What speech models and VAD read: 16 kHz mono. */
export const modelSampleRate = 16_000;

export interface AudioDecoderOptions {
  maxBytes: number;
  maxDurationSeconds: number;
  ffmpegPath: string;
  ffmpegTimeoutMs: number;
}

export interface AudioDecoder {
  readonly limits: { maxBytes: number; maxDurationSeconds: number };
  /** Validates and decodes a client's audio file: WAV here, the rest with ffmpeg. Bad audio → 400. */
  decode(data: Uint8Array, fileName: string | undefined, signal?: AbortSignal): Promise<AudioInput>;
  /** Raw 16-bit mono PCM (realtime's input_audio_buffer) as an AudioInput with a WAV file for upstreams. */
  fromPcm16(pcm: Uint8Array, sampleRate: number): AudioInput;
}

/**
 * A data size of 0 or about 2-4 GB means "unknown length" (a streamed file: espeak-ng --stdout
 * writes 0x7ffff000, OpenAI's streamed wav 0xffffffff), not truncation.
 */
const isStreamedSize = (size: number) => size === 0 || size >= 0x7fff0000;

const badAudio = (message: string, code = "invalid_audio") => new StationError({ code, status: 400, param: "file", message });

export function createAudioDecoder(options: AudioDecoderOptions): AudioDecoder {
  const checkDuration = (durationSeconds: number) => {
    if (durationSeconds > options.maxDurationSeconds)
      throw badAudio(
        `The audio is ${durationSeconds.toFixed(1)} s long; the limit is ${options.maxDurationSeconds} s (audio.maxDurationSeconds)`,
        "audio_too_long",
      );
  };

  const decodeWithFfmpeg = async (data: Uint8Array, signal?: AbortSignal): Promise<Float32Array> => {
    // One second past the limit tells "too long" apart from "exactly at the limit".
    const maxBytes = Math.ceil((options.maxDurationSeconds + 1) * modelSampleRate) * 4;
    const { output, truncated } = await runFfmpeg(
      { ffmpegPath: options.ffmpegPath, timeoutMs: options.ffmpegTimeoutMs },
      ["-i", "pipe:0", "-vn", "-f", "f32le", "-ac", "1", "-ar", String(modelSampleRate), "pipe:1"],
      data,
      maxBytes,
      signal,
    );
    if (truncated) checkDuration(options.maxDurationSeconds + 1);
    const samples = new Float32Array(output.buffer, output.byteOffset, Math.floor(output.byteLength / 4));
    if (samples.length === 0) throw badAudio("The file holds no audio samples");
    return samples;
  };

  return {
    limits: { maxBytes: options.maxBytes, maxDurationSeconds: options.maxDurationSeconds },
    async decode(data, fileName, signal) {
      if (data.byteLength === 0) throw badAudio("The audio file is empty (0 bytes)", "empty_audio");
      if (data.byteLength > options.maxBytes)
        throw new StationError({
          code: "payload_too_large",
          status: 413,
          param: "file",
          message: `The audio file is ${data.byteLength} bytes; the limit is ${options.maxBytes} (audio.maxBytes)`,
        });
      const container = sniffAudioType(data);
      if (container === undefined)
        throw new StationError({
          code: "unsupported_media_type",
          status: 400,
          param: "file",
          message: "The file is not audio Station can read: send WAV, MP3, OGG/Opus, FLAC, WebM or M4A",
        });
      let samples: Float32Array;
      if (container === "wav") {
        const wav = decodeWav(data);
        if (wav === undefined) samples = await decodeWithFfmpeg(data, signal);
        else {
          checkDuration(wav.samples.length / wav.sampleRate);
          samples = resample(wav.samples, wav.sampleRate, modelSampleRate, wav.scale);
        }
      } else samples = await decodeWithFfmpeg(data, signal);
      const durationSeconds = samples.length / modelSampleRate;
      checkDuration(durationSeconds);
      return {
        data,
        mediaType: audioMediaType(container),
        fileName: fileName ?? `audio.${extension(container)}`,
        samples,
        sampleRate: modelSampleRate,
        durationSeconds,
      };
    },
    fromPcm16(pcm, sampleRate) {
      const samples = resample(pcm16ToFloat(pcm), sampleRate, modelSampleRate);
      const durationSeconds = samples.length / modelSampleRate;
      checkDuration(durationSeconds);
      const even = pcm.subarray(0, pcm.byteLength & ~1);
      // A header in front of the bytes: wavefile's fromScratch takes seconds for a minute of audio.
      const data = Buffer.concat([wavHeader(sampleRate, even.byteLength), even]);
      return { data, mediaType: "audio/wav", fileName: "audio.wav", samples, sampleRate: modelSampleRate, durationSeconds };
    },
  };
}

/**
 * PCM and float WAV read here (RIFF chunks walked in place, samples converted in typed-array
 * loops, 16-bit mono, the common case, straight from an Int16Array); other encodings (ADPCM,
 * A-law, ...) return undefined and go to ffmpeg.
 */
function decodeWav(data: Uint8Array): { samples: Float32Array | Int16Array; sampleRate: number; scale: number } | undefined {
  let wav: WavContainer;
  try {
    wav = readWavContainer(data);
  } catch (error) {
    throw badAudio(`The WAV file is malformed: ${(error as Error).message}`);
  }
  const { channels, sampleRate, bitsPerSample: bits } = wav;
  if (!Number.isInteger(sampleRate) || sampleRate < 4000 || sampleRate > 192_000)
    throw badAudio(`The WAV sample rate ${sampleRate} Hz is outside 4000..192000 Hz`, "invalid_sample_rate");
  if (channels < 1 || channels > 16) throw badAudio(`The WAV file has ${channels} channels; 1..16 are read`);
  const format = wav.audioFormat === 0xfffe ? (wav.subformat ?? 0) : wav.audioFormat;
  const isFloat = format === 3 && (bits === 32 || bits === 64);
  if (!((format === 1 && [8, 16, 24, 32].includes(bits)) || isFloat)) return undefined;
  const frameBytes = (bits / 8) * channels;
  const bytes = wav.samples;
  if (!isStreamedSize(wav.declaredBytes) && bytes.byteLength < wav.declaredBytes)
    throw badAudio(
      `The WAV file is truncated: its header promises ${wav.declaredBytes} bytes of audio, the file holds ${bytes.byteLength}`,
      "truncated_audio",
    );
  const frames = Math.floor(bytes.byteLength / frameBytes);
  if (frames === 0) throw badAudio("The WAV file holds no audio samples", "empty_audio");
  if (bits === 16 && channels === 1 && !isFloat) {
    // Int16Array needs an even offset (a file inside a multipart body is a view at any offset); a
    // copy of the bytes (new Uint8Array: Buffer's slice would be another view) is cheaper than
    // DataView reads. The resampler scales to floats as it goes: no float copy at the file's rate.
    const aligned = bytes.byteOffset % 2 === 0 ? bytes : new Uint8Array(bytes.subarray(0, frames * 2));
    return { samples: new Int16Array(aligned.buffer, aligned.byteOffset, frames), sampleRate, scale: 1 / 32768 };
  }
  const samples = new Float32Array(frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, frames * frameBytes);
  const read = sampleReader(view, bits, isFloat);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) sum += read(frame * frameBytes + (channel * bits) / 8);
    samples[frame] = sum / channels;
  }
  return { samples, sampleRate, scale: 1 };
}

function sampleReader(view: DataView, bits: number, isFloat: boolean): (offset: number) => number {
  if (isFloat) return bits === 32 ? (offset) => view.getFloat32(offset, true) : (offset) => view.getFloat64(offset, true);
  switch (bits) {
    case 8:
      return (offset) => (view.getUint8(offset) - 128) / 128;
    case 16:
      return (offset) => view.getInt16(offset, true) / 32768;
    case 24:
      return (offset) => (view.getUint8(offset) | (view.getUint8(offset + 1) << 8) | (view.getInt8(offset + 2) << 16)) / 8388608;
    default:
      return (offset) => view.getInt32(offset, true) / 2147483648;
  }
}

function extension(container: AudioContainer): string {
  return container === "mp4" ? "m4a" : container;
}
