type CancelCallback = (reason: unknown) => void;

/** An object told of the cancel: a per-request handler watches without a closure of its own. */
export interface CancelListener {
  cancelled(reason: unknown): void;
}

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
  /** The one watching listener a request has (the relay's upstream call); more go to #listeners. */
  #listener: CancelListener | undefined;
  #listeners: CancelListener[] | undefined;

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

  /**
   * Tells `listener` of the cancel (at once if already cancelled) until `unwatch`: like `onCancel`
   * without the two closures (the callback and its unregister function) per registration.
   */
  watch(listener: CancelListener): void {
    if (this.#cancelled) {
      listener.cancelled(this.#reason);
      return;
    }
    if (this.#listener === undefined) this.#listener = listener;
    else {
      this.#listeners ??= [];
      this.#listeners.push(listener);
    }
  }

  /** Idempotent. */
  unwatch(listener: CancelListener): void {
    if (this.#listener === listener) {
      this.#listener = this.#listeners?.shift();
      return;
    }
    const index = this.#listeners === undefined ? -1 : this.#listeners.indexOf(listener);
    if (index >= 0) this.#listeners?.splice(index, 1);
  }

  /** Idempotent; the first reason wins. */
  cancel(reason: unknown = new DOMException("This operation was aborted", "AbortError")): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    const callbacks = this.#callbacks;
    const listener = this.#listener;
    const listeners = this.#listeners;
    this.#callbacks = undefined;
    this.#listener = undefined;
    this.#listeners = undefined;
    this.#controller?.abort(reason);
    for (const callback of callbacks ?? []) callback(reason);
    listener?.cancelled(reason);
    for (const other of listeners ?? []) other.cancelled(reason);
  }
}

function noop(): void {}
