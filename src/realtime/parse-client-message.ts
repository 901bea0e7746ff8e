import { exceedsJsonDepth, maxJsonDepth } from "../net/exceeds-json-depth.ts";
import { type ClientMessage, clientMessageSchema, clientMessageTypes, type ErrorEvent } from "./realtime-protocol.ts";

export type ParsedClientMessage = { ok: true; message: ClientMessage } | { ok: false; error: ErrorEvent };

/**
 * One WebSocket message → a validated client message, or the `error` event that answers it.
 * Never throws: a bad message must cost the client one error event, not the connection.
 */
export function parseClientMessage(data: Buffer, isBinary: boolean, maxBytes: number): ParsedClientMessage {
  if (data.byteLength > maxBytes) {
    return failure("message_too_large", `The message is ${data.byteLength} bytes; the limit is ${maxBytes} (realtime.maxMessageBytes)`);
  }
  if (isBinary) return failure("invalid_message", "Send JSON text messages; binary messages are not part of this protocol");
  const text = data.toString("utf8");
  // The same bound as HTTP bodies (src/http/register-json-parser.ts).
  if (exceedsJsonDepth(text)) return failure("json_too_deep", `The message nests objects and arrays deeper than ${maxJsonDepth} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return failure("invalid_json", `The message is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return failure("invalid_message", "A message must be a JSON object with a 'type'");
  }
  const record = value as Record<string, unknown>;
  const eventId = typeof record.event_id === "string" && record.event_id.length <= 128 ? record.event_id : undefined;
  if (typeof record.type !== "string") return failure("invalid_message", "A message needs a string 'type'", eventId, "type");
  if (!clientMessageTypes.has(record.type)) {
    return failure(
      "unknown_type",
      `Unknown message type '${record.type.slice(0, 64)}'; expected one of ${[...clientMessageTypes].join(", ")}`,
      eventId,
      "type",
    );
  }
  const parsed = clientMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // An unknown field is reported on its parent object: name the field itself.
    const path = [...(issue?.path ?? []), ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [])];
    const param = path.join(".") || undefined;
    const message = `Invalid '${record.type}' message${param === undefined ? "" : ` at '${param}'`}: ${issue?.message ?? "invalid"}`;
    return failure("invalid_message", message, eventId, param);
  }
  return { ok: true, message: parsed.data };
}

function failure(code: string, message: string, eventId?: string, param?: string): ParsedClientMessage {
  return {
    ok: false,
    error: {
      type: "error",
      code,
      message,
      ...(eventId === undefined ? {} : { event_id: eventId }),
      ...(param === undefined ? {} : { param }),
    },
  };
}
