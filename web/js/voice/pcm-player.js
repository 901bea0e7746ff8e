import { base64ToSamples } from "./pcm16.js";

const rate = 24_000;

/**
 * Plays the agent's reply as it arrives: each `response.output_audio.delta` (base64 PCM16,
 * 24 kHz mono) becomes an AudioBuffer scheduled right after the previous one, so the chunks
 * join without gaps. `stop()` silences what is queued (the user talks over the agent).
 *
 * @param {AudioContext} context
 */
export function createPcmPlayer(context) {
  /** @type {Set<AudioBufferSourceNode>} */
  const queued = new Set();
  let nextStart = 0;
  return {
    /**
     * @param {string} base64
     * @param {(seconds: number) => void} [onPlayed] once the chunk has played to its end
     * @returns {number} the chunk's length in seconds
     */
    play(base64, onPlayed) {
      const samples = base64ToSamples(base64);
      if (samples.length === 0) return 0;
      const buffer = context.createBuffer(1, samples.length, rate);
      buffer.copyToChannel(samples, 0);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      const startAt = Math.max(context.currentTime + 0.02, nextStart);
      source.start(startAt);
      nextStart = startAt + buffer.duration;
      queued.add(source);
      source.addEventListener("ended", () => {
        if (queued.delete(source)) onPlayed?.(buffer.duration);
      });
      return buffer.duration;
    },
    /** Silences everything queued; what was cut short is not reported as played. */
    stop() {
      for (const source of queued) {
        queued.delete(source);
        source.stop();
      }
      nextStart = 0;
    },
    get playing() {
      return queued.size > 0;
    },
  };
}
