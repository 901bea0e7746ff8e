import type { FastifyReply } from "fastify";
import { Cancellation } from "../../net/cancellation.ts";

/**
 * A Cancellation that fires when the client goes away before the reply was ended. Once `end()`
 * was called the work is done, so a close while the last bytes flush cancels nothing.
 */
export function cancelOnDisconnect(reply: FastifyReply): Cancellation {
  const cancellation = new Cancellation();
  const raw = reply.raw;
  // `on`, not `once`: 'close' comes once, and `once` wraps the listener (a bound function and its state) per request.
  raw.on("close", () => {
    if (!raw.writableEnded) cancellation.cancel();
  });
  return cancellation;
}
