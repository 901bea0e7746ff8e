/** Time source for keep-alive expiry; tests inject a manual one instead of sleeping. */
export interface Scheduler {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    // Keep-alive timers must never keep the process alive on their own.
    return setTimeout(callback, delayMs).unref();
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
