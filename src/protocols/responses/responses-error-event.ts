import { streamFailure } from "../../errors/stream-failure.ts";

const sequencePattern = /"sequence_number":\s*(\d+)/g;

/**
 * The `sequence_number` that follows the last one in `tail` (the end of a relayed stream): the
 * error event continues the upstream's numbering. 0 when none is there (nothing was relayed).
 */
export function nextSequenceNumber(tail: string): number {
  let last = -1;
  for (const match of tail.matchAll(sequencePattern)) last = Number(match[1]);
  return last + 1;
}

/**
 * How a Responses stream that fails midway ends when Station cannot write `response.failed` (a
 * relayed stream: the upstream's events are not Station's to rebuild): an `event: error` with the
 * next `sequence_number`, `code`, `message` and `param` as the API's ResponseErrorEvent has them,
 * and the same in an `error` object, which the official clients raise as an APIError. The blank
 * line first closes whatever frame the upstream left half written.
 */
export function responsesErrorEvent(error: unknown, sequenceNumber = 0): string {
  const { code, message } = streamFailure(error);
  const data = {
    type: "error",
    sequence_number: sequenceNumber,
    code,
    message,
    param: null,
    error: { type: "server_error", code, message, param: null },
  };
  return `\n\nevent: error\ndata: ${JSON.stringify(data)}\n\n`;
}
