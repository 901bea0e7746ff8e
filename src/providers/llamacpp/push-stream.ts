/**
 * Bridges callback-style producers (node-llama-cpp's onTextChunk) to an async iterable.
 * When the consumer stops early (`break`, client gone), `onCancel` fires so the producer
 * can abort generation.
 */
export interface PushStream<T> extends AsyncIterable<T> {
  push(item: T): void;
  end(): void;
}

export function createPushStream<T>(onCancel: () => void): PushStream<T> {
  const buffered: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;

  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };

  return {
    push(item) {
      if (ended) return;
      buffered.push(item);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      try {
        while (true) {
          const item = buffered.shift();
          if (item !== undefined) {
            yield item;
            continue;
          }
          if (ended) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        if (!ended) {
          ended = true;
          onCancel();
        }
      }
    },
  };
}
