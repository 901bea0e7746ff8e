import { execFileSync } from "node:child_process";

/** Speech made here by espeak-ng (Debian package): a WAV file, 22050 Hz mono 16-bit. */
export function espeakWav(text: string, options: { wordsPerMinute?: number } = {}): Buffer {
  return execFileSync("espeak-ng", ["--stdout", "-s", String(options.wordsPerMinute ?? 160), text], { maxBuffer: 64 * 1024 * 1024 });
}

/**
 * espeak-ng speech followed by `seconds` of silence, one WAV file: espeak-ng's 44-byte header with
 * the RIFF and data sizes rewritten for the longer body (audio past Whisper's 30 s window).
 */
export function espeakWavWithSilence(text: string, seconds: number): Buffer {
  const wav = Buffer.concat([espeakWav(text), Buffer.alloc(seconds * 22_050 * 2)]);
  wav.writeUInt32LE(wav.length - 8, 4);
  wav.writeUInt32LE(wav.length - 44, 40);
  return wav;
}

/** Re-encodes audio with ffmpeg (mp3, ogg, flac, ...), as a client's recorder would. */
export function ffmpegEncode(wav: Buffer, format: "mp3" | "ogg" | "flac" | "webm"): Buffer {
  const codec = { mp3: ["-c:a", "libmp3lame"], ogg: ["-c:a", "libopus"], flac: ["-c:a", "flac"], webm: ["-c:a", "libopus"] }[format];
  return execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", "pipe:0", ...codec, "-f", format, "pipe:1"], {
    input: wav,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** espeak-ng speech as OpenAI realtime input: raw 16-bit LE mono PCM at 24 kHz (resampled by sox). */
export function espeakPcm24k(text: string): Buffer {
  return execFileSync("sox", ["-t", "wav", "-", "-r", "24000", "-b", "16", "-c", "1", "-e", "signed-integer", "-t", "raw", "-"], {
    input: espeakWav(text),
    maxBuffer: 64 * 1024 * 1024,
  });
}
