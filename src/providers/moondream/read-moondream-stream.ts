/**
 * Reads Moondream's SSE answer stream: `data: {"chunk": "..."}` lines, then
 * `data: {"completed": true}`. Yields the chunks; stops at `completed`.
 */
export async function* readMoondreamStream(body: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const event = parseLine(line);
      if (event === undefined) continue;
      if (typeof event.chunk === "string" && event.chunk.length > 0) yield event.chunk;
      if (event.completed === true) return;
    }
  }
  const last = parseLine(buffer);
  if (typeof last?.chunk === "string" && last.chunk.length > 0) yield last.chunk;
}

function parseLine(line: string): { chunk?: unknown; completed?: unknown } | undefined {
  const trimmed = line.trimEnd();
  if (!trimmed.startsWith("data:")) return undefined;
  const data = trimmed.slice(5).trim();
  if (data.length === 0 || data === "[DONE]") return undefined;
  try {
    return JSON.parse(data) as { chunk?: unknown; completed?: unknown };
  } catch {
    throw new Error(`Moondream sent a stream line that is not JSON: ${data.slice(0, 100)}`);
  }
}
