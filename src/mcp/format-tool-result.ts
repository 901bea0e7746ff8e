/** The parts of an MCP `CallToolResult` Station reads (the SDK's type is wider and versioned). */
export interface McpCallToolResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
  /** Pre-2024-11 servers answer with `toolResult`. */
  toolResult?: unknown;
}

export interface FormattedToolResult {
  text: string;
  truncated: boolean;
}

/**
 * Reduces a tool result to the text a chat model reads. Text blocks pass through; images,
 * audio and blobs become a short placeholder (a tool role message cannot carry them to most
 * providers, and base64 would only burn context); the whole is cut at `maxBytes` (UTF-8).
 */
export function formatToolResult(result: McpCallToolResult, maxBytes: number): FormattedToolResult {
  const pieces: string[] = [];
  for (const block of result.content ?? []) pieces.push(formatBlock(block as Record<string, unknown>));
  if (pieces.length === 0 && result.structuredContent !== undefined) pieces.push(JSON.stringify(result.structuredContent));
  if (pieces.length === 0 && result.toolResult !== undefined) pieces.push(stringify(result.toolResult));
  return truncateUtf8(pieces.join("\n"), maxBytes);
}

function formatBlock(block: Record<string, unknown>): string {
  switch (block.type) {
    case "text":
      return String(block.text ?? "");
    case "image":
    case "audio":
      return `[${block.type}: ${String(block.mimeType ?? "unknown type")}, ${base64Bytes(block.data)} bytes]`;
    case "resource_link":
      return `[resource link: ${String(block.name ?? "")} ${String(block.uri ?? "")}]`.replace("  ", " ");
    case "resource": {
      const resource = (block.resource ?? {}) as Record<string, unknown>;
      if (typeof resource.text === "string") return `[resource ${String(resource.uri ?? "")}]\n${resource.text}`;
      return `[resource ${String(resource.uri ?? "")}: ${String(resource.mimeType ?? "binary")}, ${base64Bytes(resource.blob)} bytes]`;
    }
    default:
      return stringify(block);
  }
}

function base64Bytes(data: unknown): number {
  return typeof data === "string" ? Math.floor((data.replace(/=+$/, "").length * 3) / 4) : 0;
}

function stringify(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Cuts text to at most `maxBytes` UTF-8 bytes without splitting a character, and says so. */
export function truncateUtf8(text: string, maxBytes: number): FormattedToolResult {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  const kept = bytes.subarray(0, end).toString("utf8");
  return { text: `${kept}\n[truncated: ${bytes.length - end} of ${bytes.length} bytes omitted]`, truncated: true };
}
