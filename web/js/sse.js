/**
 * Reads Server-Sent Events from a fetch Response (EventSource cannot POST or send headers).
 * Yields `{event, data}` per event: `event` is the `event:` field or "message", `data` the
 * `data:` lines joined by "\n". Comment lines (": keep-alive") are skipped.
 *
 * @param {Response} response
 * @returns {AsyncGenerator<{event: string, data: string}>}
 */
export async function* readEvents(response) {
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      // A "\r" left at the end of one chunk meets its "\n" here, in the same buffer.
      buffer = (buffer + value).replace(/\r\n/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const parsed = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (parsed !== undefined) yield parsed;
        end = buffer.indexOf("\n\n");
      }
    }
    const last = parseBlock(buffer);
    if (last !== undefined) yield last;
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * @param {string} block
 * @returns {{event: string, data: string} | undefined}
 */
export function parseBlock(block) {
  let event = "message";
  /** @type {string[]} */
  const data = [];
  for (const line of block.split("\n")) {
    if (line.length === 0 || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") event = value;
    else if (name === "data") data.push(value);
  }
  return data.length === 0 ? undefined : { event, data: data.join("\n") };
}
