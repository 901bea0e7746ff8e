/**
 * An AudioWorklet processor (it runs on the audio thread, loaded with audioWorklet.addModule):
 * the microphone's first channel, resampled to 24 kHz when the context runs at another rate,
 * posted to the page as 20 ms frames of 16-bit PCM with the frame's peak level (0..1).
 * `sampleRate` is the context's rate, a global of the worklet scope.
 */
const targetRate = 24_000;
const frameSamples = 480;

class PcmCaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / targetRate;
    // Read position in the current block; -1 is the last sample of the previous block.
    this.position = 0;
    this.previous = 0;
    this.frame = new Int16Array(frameSamples);
    this.filled = 0;
    this.peak = 0;
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    const samples = inputs[0]?.[0];
    if (samples === undefined || samples.length === 0) return true;
    const at = (/** @type {number} */ index) => (index < 0 ? this.previous : (samples[index] ?? 0));
    let position = this.position;
    while (Math.floor(position) + 1 < samples.length) {
      const index = Math.floor(position);
      const fraction = position - index;
      this.push(at(index) * (1 - fraction) + at(index + 1) * fraction);
      position += this.step;
    }
    this.position = position - samples.length;
    this.previous = samples[samples.length - 1] ?? 0;
    return true;
  }

  /** @param {number} sample -1..1 */
  push(sample) {
    const clamped = Math.max(-1, Math.min(1, sample));
    this.peak = Math.max(this.peak, Math.abs(clamped));
    this.frame[this.filled] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    this.filled += 1;
    if (this.filled === frameSamples) {
      this.port.postMessage({ pcm: this.frame.buffer, peak: this.peak }, [this.frame.buffer]);
      this.frame = new Int16Array(frameSamples);
      this.filled = 0;
      this.peak = 0;
    }
  }
}

registerProcessor("pcm-capture", PcmCaptureProcessor);
