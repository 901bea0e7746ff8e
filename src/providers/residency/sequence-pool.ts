import { errors } from "../../errors/errors.ts";

export interface SequenceLease<Sequence> {
  sequence: Sequence;
  release(): void;
}

export interface SequencePool<Sequence> {
  /**
   * Resolves with a free sequence (one `prefer` accepts first, e.g. the worker that holds a cached
   * image); waits in a bounded queue; beyond it throws 503 busy.
   */
  acquire(signal?: AbortSignal, prefer?: (sequence: Sequence) => boolean): Promise<SequenceLease<Sequence>>;
  readonly size: number;
  busy(): number;
  waiting(): number;
}

export interface SequencePoolOptions<Sequence> {
  size: number;
  maxQueue: number;
  /** Creates the n-th sequence the first time it is needed. */
  create(): Sequence;
  /** For error messages, e.g. "local/qwen". */
  modelId: string;
}

/**
 * Hands out a model's parallel sequences. Sequences are reused, so a follow-up request on
 * the same conversation can keep its evaluated prefix.
 */
export function createSequencePool<Sequence>(options: SequencePoolOptions<Sequence>): SequencePool<Sequence> {
  const free: Sequence[] = [];
  let created = 0;
  let busy = 0;
  const waiters: { resolve: (sequence: Sequence) => void; reject: (error: unknown) => void }[] = [];

  const lease = (sequence: Sequence): SequenceLease<Sequence> => {
    let released = false;
    return {
      sequence,
      release() {
        if (released) return;
        released = true;
        const next = waiters.shift();
        if (next !== undefined) next.resolve(sequence);
        else {
          busy--;
          free.push(sequence);
        }
      },
    };
  };

  return {
    size: options.size,
    busy: () => busy,
    waiting: () => waiters.length,
    async acquire(signal, prefer) {
      signal?.throwIfAborted();
      const preferred = prefer === undefined ? -1 : free.findIndex(prefer);
      const ready = preferred >= 0 ? free.splice(preferred, 1)[0] : free.pop();
      if (ready !== undefined) {
        busy++;
        return lease(ready);
      }
      if (created < options.size) {
        const sequence = options.create();
        created++;
        busy++;
        return lease(sequence);
      }
      if (waiters.length >= options.maxQueue) {
        throw errors.busy(
          `The model '${options.modelId}' is busy: ${options.size} requests are generating and ${waiters.length} are waiting. Retry shortly.`,
          1,
        );
      }
      const sequence = await new Promise<Sequence>((resolve, reject) => {
        const waiter = {
          resolve: (value: Sequence) => {
            signal?.removeEventListener("abort", onAbort);
            resolve(value);
          },
          reject,
        };
        const onAbort = () => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiters.push(waiter);
      });
      return lease(sequence);
    },
  };
}
