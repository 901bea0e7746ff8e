/**
 * Lets a bench child tell its parent its CPU time: the parent sends "cpu-usage" over IPC and gets
 * `{ cpuUsage: process.cpuUsage() }` back (µs, user and system), read between rounds, never during one.
 */
export function reportCpuUsageOnRequest(): void {
  process.on("message", (message) => {
    if (message === "cpu-usage") process.send?.({ cpuUsage: process.cpuUsage() });
  });
}
