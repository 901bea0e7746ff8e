import { streamFailure } from "../../errors/stream-failure.ts";

/**
 * How a Responses stream that fails midway ends when Station cannot write `response.failed` (a
 * relayed stream: the upstream's events are not Station's to rebuild): an `event: error` whose
 * `error` object the official clients raise as an APIError. The blank line first closes whatever
 * frame the upstream left half written.
 */
export function responsesErrorEvent(error: unknown): string {
  const { code, message } = streamFailure(error);
  const data = { type: "error", error: { type: "server_error", code, message, param: null } };
  return `\n\nevent: error\ndata: ${JSON.stringify(data)}\n\n`;
}
