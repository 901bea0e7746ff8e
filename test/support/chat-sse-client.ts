import { serverSentEvents } from "../../src/providers/http/server-sent-events.ts";

/**
 * Reads POST /api/chat/stream with plain fetch, parsing Server-Sent Events by the spec's rules
 * (events end at a blank line; `event:` names them; `data:` lines join with "\n"; ":" lines are comments).
 */
export interface ParsedSseEvent {
  event: string;
  data: Record<string, unknown>;
}

export interface ChatStreamOptions {
  /** Called for each event; return true to hang up right there (the client disconnects). */
  onEvent?: (event: ParsedSseEvent) => boolean | undefined | Promise<boolean | undefined>;
}

export interface ChatStreamResult {
  status: number;
  contentType: string | null;
  events: ParsedSseEvent[];
  /** The JSON body when the server answered without a stream (input errors). */
  json?: Record<string, unknown>;
}

export async function postChatStream(baseUrl: string, body: unknown, options: ChatStreamOptions = {}): Promise<ChatStreamResult> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/chat/stream`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const contentType = response.headers.get("content-type");
  if (!contentType?.startsWith("text/event-stream")) {
    return { status: response.status, contentType, events: [], json: (await response.json()) as Record<string, unknown> };
  }
  const events: ParsedSseEvent[] = [];
  try {
    for await (const { event, data } of serverSentEvents(response.body!)) {
      const parsed = { event, data: JSON.parse(data) as Record<string, unknown> };
      events.push(parsed);
      if (await options.onEvent?.(parsed)) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { status: response.status, contentType, events };
}

export function eventsOf(result: ChatStreamResult, type: string): Record<string, unknown>[] {
  return result.events.filter((event) => event.event === type).map((event) => event.data);
}
