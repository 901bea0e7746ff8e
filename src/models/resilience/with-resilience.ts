import type { ModelTarget } from "./model-target.ts";
import type { CallOptions, Resilience } from "./resilience.ts";

/**
 * One call of any model kind (embeddings, images, detect, OCR, speech, ...) through the
 * resilience layer: retried, failed over and counted, the value handed back once it is whole.
 * `call` runs against one target; it must not retry by itself.
 */
export async function withResilience<T>(
  resilience: Resilience,
  targets: readonly ModelTarget[],
  call: (target: ModelTarget) => Promise<T>,
  options: CallOptions,
): Promise<T> {
  const delivered = await resilience.call(targets, call, options);
  delivered.done();
  return delivered.value;
}
