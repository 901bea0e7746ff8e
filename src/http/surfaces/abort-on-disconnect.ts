import type { FastifyReply } from "fastify";
import { cancelOnDisconnect } from "./cancel-on-disconnect.ts";

/** An AbortSignal that aborts when the client goes away before the reply was ended. */
export function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  return cancelOnDisconnect(reply).signal;
}
