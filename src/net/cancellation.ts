type CancelCallback = (reason: unknown) => void;

/**
 * One request's cancellation, free until something needs it. On Node 20 an AbortController per
 * proxied request cost about 60 µs of CPU in bench/gateway (more than the rest of Station's
 * per-request bookkeeping together; the allocation alone is cheap in isolation, so the cost is in
 * what the live EventTarget does to the rest of the request), so the gateway's relay registers
 * the upstream call's abort function here directly. `signal` makes a real AbortSignal on first
 * use, for code that needs one (fetch, retry sleeps, providers that are not relayed).
 * `aborted` and `reason` read like an AbortSignal's.
 */
export class Cancellation {
  #cancelled = false;
  #reason: unknown;
  #controller: AbortController | undefined;
  #callbacks: CancelCallback[] | undefined;

  get aborted(): boolean {
    return this.#cancelled;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Calls `callback` on cancel (at once if already cancelled). Returns a function that unregisters it. */
  onCancel(callback: CancelCallback): () => void {
    if (this.#cancelled) {
      callback(this.#reason);
      return noop;
    }
    this.#callbacks ??= [];
    this.#callbacks.push(callback);
    return () => {
      const callbacks = this.#callbacks;
      const index = callbacks === undefined ? -1 : callbacks.indexOf(callback);
      if (index >= 0) callbacks?.splice(index, 1);
    };
  }

  /** Idempotent; the first reason wins. */
  cancel(reason: unknown = new DOMException("This operation was aborted", "AbortError")): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    const callbacks = this.#callbacks;
    this.#callbacks = undefined;
    this.#controller?.abort(reason);
    for (const callback of callbacks ?? []) callback(reason);
  }
}

function noop(): void {}
