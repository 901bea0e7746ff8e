import type { ServerResponse } from "node:http";

/**
 * Did the client hang up before its reply was complete? A failure that follows is the client's
 * doing (the abort travelled down to the upstream): logged at info, never as a server error.
 */
export function clientGone(raw: ServerResponse): boolean {
  return raw.destroyed && !raw.writableFinished;
}
