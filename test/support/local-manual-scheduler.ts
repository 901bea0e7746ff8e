import type { Scheduler } from "../../src/providers/residency/scheduler.ts";

export interface ManualScheduler extends Scheduler {
  /** Moves time forward and runs every timer that falls due, in order. */
  advance(ms: number): void;
  pending(): number;
}

/** A clock the test drives: keep-alive expiry without sleeping. */
export function createManualScheduler(start = Date.UTC(2026, 0, 1)): ManualScheduler {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { due: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, delayMs) {
      const id = nextId++;
      timers.set(id, { due: now + delayMs, callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, timer]) => timer.due <= target).sort((a, b) => a[1].due - b[1].due)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].due;
        due[1].callback();
      }
      now = target;
    },
    pending: () => timers.size,
  };
}
