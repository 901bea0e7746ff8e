/**
 * Reads Moondream's SSE answer stream: `data: {"chunk": "..."}` lines, then
 * `data: {"completed": true}`. Yields the chunks; stops at `completed`. What the upstream
 * itself got wrong — an `{"error": ...}` line, a line that is not JSON, an end before
 * `completed` — is thrown as `fail(detail)`, so it is reported as the upstream's error in its
 * own words rather than as a broken connection.
 */
export async function* readMoondreamStream(body: AsyncIterable<Uint8Array>, fail: (detail: string) => Error): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  const read = (line: string): { chunk?: unknown; completed?: unknown } | undefined => {
    const event = parseLine(line, fail);
    if (event?.error !== undefined && event.error !== null) throw fail(`reported an error mid-stream: ${errorMessage(event.error)}`);
    return event;
  };
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const event = read(line);
      if (event === undefined) continue;
      if (typeof event.chunk === "string" && event.chunk.length > 0) yield event.chunk;
      if (event.completed === true) return;
    }
  }
  const last = read(buffer);
  if (typeof last?.chunk === "string" && last.chunk.length > 0) yield last.chunk;
  if (last?.completed !== true) throw fail("ended the stream before it completed");
}

function parseLine(line: string, fail: (detail: string) => Error): { chunk?: unknown; completed?: unknown; error?: unknown } | undefined {
  const trimmed = line.trimEnd();
  if (!trimmed.startsWith("data:")) return undefined;
  const data = trimmed.slice(5).trim();
  if (data.length === 0 || data === "[DONE]") return undefined;
  try {
    return JSON.parse(data) as { chunk?: unknown; completed?: unknown; error?: unknown };
  } catch {
    throw fail(`sent a stream line that is not JSON: ${data.slice(0, 100)}`);
  }
}

function errorMessage(error: unknown): string {
  if (typeof error === "string") return error.slice(0, 500);
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" ? message.slice(0, 500) : (JSON.stringify(error) ?? "").slice(0, 500);
}
