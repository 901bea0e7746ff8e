import type { FastifyReply } from "fastify";

/**
 * A signal that aborts when the client goes away before the reply was ended. Once `end()` was
 * called the work is done, so a close while the last bytes flush aborts nothing.
 */
export function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}
