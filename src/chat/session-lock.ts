/**
 * Keeps one turn at a time per chat session (a second turn at once would interleave both
 * turns' messages). In-process by default; in shared mode a Redis lock, so the rule holds
 * across every instance.
 */
export interface SessionLock {
  /** True while some turn holds the session. */
  isBusy(sessionId: string): Promise<boolean>;
  /** Takes the session for a turn; undefined when another turn holds it. The function releases it. */
  acquire(sessionId: string): Promise<(() => Promise<void>) | undefined>;
}

export function createInProcessSessionLock(): SessionLock {
  const busy = new Set<string>();
  return {
    async isBusy(sessionId) {
      return busy.has(sessionId);
    },
    async acquire(sessionId) {
      if (busy.has(sessionId)) return undefined;
      busy.add(sessionId);
      return async () => {
        busy.delete(sessionId);
      };
    },
  };
}
