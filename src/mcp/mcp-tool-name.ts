import { createHash } from "node:crypto";

/** OpenAI's rule for function names; most other providers accept the same set. */
export const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;
const maxLength = 64;
export const toolNameSeparator = "__";

/**
 * Namespaces an MCP tool name with its server id ("files__read_file") so two servers never
 * collide, and keeps it within OpenAI's ^[a-zA-Z0-9_-]{1,64}$. Names that had to be shortened
 * or that would collide with one already `taken` get a short hash of their origin appended,
 * which keeps them stable across restarts.
 */
export function namespaceToolName(serverId: string, toolName: string, taken: ReadonlySet<string> = new Set()): string {
  const plain = `${sanitize(serverId)}${toolNameSeparator}${sanitize(toolName)}`;
  if (plain.length <= maxLength && !taken.has(plain)) return plain;
  const digest = createHash("sha256").update(`${serverId}\u0000${toolName}`).digest("hex");
  for (let length = 8; length <= digest.length; length += 4) {
    const suffix = `_${digest.slice(0, length)}`;
    const candidate = `${plain.slice(0, maxLength - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error(`cannot find a free tool name for ${serverId}/${toolName}`);
}

function sanitize(text: string): string {
  const cleaned = text.replace(/[^a-zA-Z0-9_-]/g, "_");
  return cleaned.length === 0 ? "_" : cleaned;
}
