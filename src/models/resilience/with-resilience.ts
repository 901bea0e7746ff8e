import type { ModelTarget } from "./model-target.ts";
import type { CallOptions, Resilience } from "./resilience.ts";

/**
 * One call of any model kind (embeddings, images, detect, OCR, speech, ...) through the
 * resilience layer: retried, failed over and counted, the value handed back once it is whole.
 * `call` runs against one target with the signal to hand its model (aborted when the caller goes
 * away or the call's deadline passes); it must not retry by itself.
 */
export async function withResilience<T>(
  resilience: Resilience,
  targets: readonly ModelTarget[],
  call: (target: ModelTarget, signal: AbortSignal) => Promise<T>,
  options: CallOptions,
): Promise<T> {
  const delivered = await resilience.call(targets, (target, _remainingMs, cancellation) => call(target, cancellation.signal), options);
  delivered.done();
  return delivered.value;
}
