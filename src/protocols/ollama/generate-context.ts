import { errors } from "../../errors/errors.ts";

/** One /api/generate exchange, as a later request's `context` brings it back. */
export interface GenerateTurn {
  prompt: string;
  response: string;
}

/** Marks a context Station made (Ollama's own are token ids of its models, which Station cannot read). */
const marker = 0x5354;

/**
 * Ollama's `context`: the conversation so far as an array of integers the client hands back to
 * continue it. Ollama's are token ids; Station serves models whose tokenizers it does not run, so
 * its context is the turns' text itself (UTF-8 JSON, two bytes per integer after a marker and the
 * byte length): nothing is kept on the server, and any instance reads it back.
 */
export function encodeGenerateContext(turns: readonly GenerateTurn[]): number[] {
  const bytes = Buffer.from(JSON.stringify(turns.map((turn) => [turn.prompt, turn.response])), "utf8");
  const context = [marker, bytes.length];
  for (let index = 0; index < bytes.length; index += 2) context.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0));
  return context;
}

/** The turns of a context this server made; an empty or missing one has none; anything else is a 400. */
export function decodeGenerateContext(context: readonly number[] | undefined): GenerateTurn[] {
  if (context === undefined || context.length === 0) return [];
  const [head, length = -1] = context;
  const words = context.length - 2;
  if (head !== marker || length < 0 || Math.ceil(length / 2) !== words) throw notOurs();
  const bytes = Buffer.alloc(words * 2);
  for (let index = 0; index < words; index++) {
    const word = context[index + 2] ?? -1;
    if (word < 0 || word > 0xffff) throw notOurs();
    bytes.writeUInt16BE(word, index * 2);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.subarray(0, length).toString("utf8"));
  } catch {
    throw notOurs();
  }
  if (!Array.isArray(parsed)) throw notOurs();
  return parsed.map((turn: unknown) => {
    if (!Array.isArray(turn) || typeof turn[0] !== "string" || typeof turn[1] !== "string") throw notOurs();
    return { prompt: turn[0], response: turn[1] };
  });
}

function notOurs(): Error {
  return errors.invalidRequest(
    "'context' was not returned by this server's /api/generate (send it back unchanged, or leave it out)",
    "context",
  );
}
