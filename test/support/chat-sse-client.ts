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
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let boundary = buffer.indexOf("\n\n");
      while (boundary !== -1) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        boundary = buffer.indexOf("\n\n");
        const event = parseBlock(block);
        if (event === undefined) continue;
        events.push(event);
        if (await options.onEvent?.(event)) {
          controller.abort();
          await reader.cancel().catch(() => {});
          return { status: response.status, contentType, events };
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { status: response.status, contentType, events };
}

function parseBlock(block: string): ParsedSseEvent | undefined {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  return { event, data: JSON.parse(data.join("\n")) as Record<string, unknown> };
}

export function eventsOf(result: ChatStreamResult, type: string): Record<string, unknown>[] {
  return result.events.filter((event) => event.event === type).map((event) => event.data);
}
