export interface ServerSentEvent {
  /** The `event:` name; "message" when the event has none. */
  event: string;
  /** The `data:` lines, joined with "\n". */
  data: string;
}

/**
 * Splits an SSE byte stream into events by the spec's rules: a blank line ends an event,
 * `event:` names it, `data:` lines join with "\n", comment (":") and other fields are skipped.
 */
export async function* serverSentEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (data.length > 0) yield { event, data: data.join("\n") };
        event = "message";
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      } else if (line.startsWith("event:")) {
        event = line.slice(line.startsWith("event: ") ? 7 : 6);
      }
      newline = buffer.indexOf("\n");
    }
  }
  if (data.length > 0) yield { event, data: data.join("\n") };
}

/** The `data:` payloads of an SSE stream (OpenAI-compatible servers only use data). */
export async function* serverSentEventData(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  for await (const { data } of serverSentEvents(body)) yield data;
}

/** Splits an NDJSON byte stream (Ollama) into parsed lines. */
export async function* newlineDelimitedJson<T>(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line.length > 0) yield JSON.parse(line) as T;
      newline = buffer.indexOf("\n");
    }
  }
  if (buffer.trim().length > 0) yield JSON.parse(buffer) as T;
}
