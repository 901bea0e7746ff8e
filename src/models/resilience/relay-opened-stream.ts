import type { Delivered } from "./resilience.ts";

/** A stream a resilience call opened: its iterator and the first item it waited for. */
export interface OpenedStream<T> {
  iterator: AsyncIterator<T>;
  first: IteratorResult<T>;
}

/**
 * Yields the first item and the rest of a stream that a resilience call opened (nothing is
 * replayed from here on), and reports to the layer how it ended: the end, or a throw midway, or
 * an item that `failureOf` reads as a failure (an error part) is `done`; a consumer that stopped
 * reading early (its client left, a barge-in, a tool loop that had enough) says nothing about the
 * target, so it is `abandon`ed as a cancel.
 */
export async function* relayOpenedStream<T>(
  delivered: Delivered<OpenedStream<T>>,
  failureOf: (item: T) => unknown = () => undefined,
): AsyncGenerator<T, void, undefined> {
  const { iterator, first } = delivered.value;
  let failure: unknown;
  let completed = false;
  try {
    let part = first;
    while (!part.done) {
      const itemFailure = failureOf(part.value);
      if (itemFailure !== undefined) failure = itemFailure;
      yield part.value;
      part = await iterator.next();
    }
    completed = true;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    if (!completed) await iterator.return?.();
    if (completed || failure !== undefined) delivered.done(failure);
    else delivered.abandon();
  }
}
