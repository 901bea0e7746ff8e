/**
 * Runs `task` now and then every `intervalMs` after it finishes, until `signal` aborts. While
 * the tab is hidden it waits (nothing to look at, no load on the server); it catches up when
 * the tab is shown again.
 *
 * @param {(signal: AbortSignal) => Promise<void>} task
 * @param {number} intervalMs
 * @param {AbortSignal} signal
 */
export function poll(task, intervalMs, signal) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let running = false;
  const run = async () => {
    if (signal.aborted || running) return;
    if (document.hidden) return;
    running = true;
    try {
      await task(signal);
    } finally {
      running = false;
      if (!signal.aborted) timer = setTimeout(run, intervalMs);
    }
  };
  const onVisible = () => {
    if (!document.hidden && !running) {
      clearTimeout(timer);
      void run();
    }
  };
  document.addEventListener("visibilitychange", onVisible);
  signal.addEventListener("abort", () => {
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisible);
  });
  void run();
}
