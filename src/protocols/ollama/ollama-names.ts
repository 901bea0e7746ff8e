import { createHash } from "node:crypto";

/** The tag Ollama gives a name without one. */
const defaultTag = ":latest";

/** A Station model id as Ollama names models (`name:tag`): ids without a tag get `:latest`. */
export function toOllamaName(id: string): string {
  return /:[^/]+$/.test(id) ? id : `${id}${defaultTag}`;
}

/**
 * The ids an Ollama-style name may mean, most exact first: `llama3.2:latest` may be Station's
 * `llama3.2`, and an untagged name is Ollama's `:latest` (an alias `/api/copy` stored with its tag).
 */
export function nameCandidates(name: string): string[] {
  if (name.endsWith(defaultTag)) return [name, name.slice(0, -defaultTag.length)];
  return /:[^/]+$/.test(name) ? [name] : [name, `${name}${defaultTag}`];
}

/** A stable digest per model id (Station has no Ollama manifests; tools only compare them). */
export function ollamaDigest(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

/** The version Station reports at /api/version: the Ollama API level it speaks (tools compare it numerically). */
export const ollamaApiVersion = "0.12.6";

/** What Ollama answers at GET / (tools probe it to find a running server). */
export const ollamaRunningText = "Ollama is running";
