import { abortedError } from "./aborted-error.ts";
import type { ModelTarget } from "./model-target.ts";
import type { CallOptions, Resilience } from "./resilience.ts";

/**
 * A stream of any model kind (caption text, transcript pieces, audio chunks, ...) through the
 * resilience layer: opening it and waiting for its first item is retried and failed over;
 * once an item has been yielded nothing is replayed. How the stream ends is reported to the
 * layer: a throw midway counts against the target, a consumer that stops early says nothing
 * about the target (the client went away).
 */
export async function* streamWithResilience<T>(
  resilience: Resilience,
  targets: readonly ModelTarget[],
  /** Opens the stream on one target with the signal to hand its model (caller gone; deadline passed before the first item). */
  open: (target: ModelTarget, signal: AbortSignal) => AsyncIterable<T>,
  options: CallOptions,
): AsyncGenerator<T, void, undefined> {
  const delivered = await resilience.call(
    targets,
    async (target, _remainingMs, cancellation) => {
      const iterator = open(target, cancellation.signal)[Symbol.asyncIterator]();
      return { iterator, first: await iterator.next() };
    },
    options,
  );
  const { iterator } = delivered.value;
  let next = delivered.value.first;
  let settled = false;
  try {
    while (next.done !== true) {
      yield next.value;
      next = await iterator.next();
    }
    settled = true;
    delivered.done();
  } catch (error) {
    settled = true;
    delivered.done(error);
    // The client hung up mid-stream: say so, rather than pass on the abort as a failure.
    if (options.signal?.aborted) throw abortedError(options.signal);
    throw error;
  } finally {
    if (!settled) {
      delivered.abandon();
      await iterator.return?.();
    }
  }
}
