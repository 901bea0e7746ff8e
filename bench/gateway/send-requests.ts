import autocannon from "autocannon";
import type { Surface } from "./surfaces.ts";

/** The connections every batch keeps busy, as the gateway bench's throughput rounds do. */
export const sendConcurrency = 16;

/**
 * Exactly `amount` requests to one surface at `sendConcurrency` (autocannon), every one a 2xx, or it
 * throws. Resolves to the number sent. `timeoutSeconds` per request (autocannon's default is 10).
 * `tolerateFailures` (a warm-up, whose answers are not measured) only reports a non-2xx or error.
 */
export async function sendRequests(
  port: number,
  surface: Surface,
  model: string,
  amount: number,
  timeoutSeconds = 10,
  tolerateFailures = false,
): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${surface.path}`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: surface.body(model, false),
    connections: sendConcurrency,
    amount,
    timeout: timeoutSeconds,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    const failures = `${surface.name}: ${result.non2xx} non-2xx, ${result.errors} errors`;
    if (!tolerateFailures) throw new Error(failures);
    console.warn(`  warm-up ${failures} of ${result.requests.total}`);
  }
  return result.requests.total;
}
