/**
 * What every chat surface (OpenAI chat, Responses, Anthropic Messages, Ollama, legacy completions)
 * hands the chat core once its codec has decoded a request: provider-neutral, images not yet
 * fetched or checked. Types only.
 */
import type { ChatMessage, ChatRequest, ImagePart, TextPart } from "../providers/spec/index.ts";

/** An image as a client sent it: a data:/http(s) URL or bare base64 (Ollama, Anthropic). */
export interface ImageReference {
  type: "image-reference";
  url?: string;
  base64?: string;
  /** Declared by the client (Anthropic's media_type); sniffed when absent. */
  mediaType?: string;
  /** The request field that carried it, for a 400 that names it. */
  param: string;
}

/** Text, an image reference to take in, or an image already taken in (chat uploads, realtime frames). */
export type InputPart = TextPart | ImageReference | ImagePart;

export interface InputMessage extends Omit<ChatMessage, "content"> {
  content: string | InputPart[];
}

/** Names of the request fields, as each surface spells them, for errors that point at them. */
export interface InputParams {
  model: string;
  messages: string;
  tools: string;
}

export interface ChatInput extends Omit<ChatRequest, "model" | "messages" | "signal"> {
  /** A Station id, route name or bare model name; undefined uses defaults.chatModel. */
  model: string | undefined;
  messages: InputMessage[];
  params?: Partial<InputParams>;
  /**
   * Settings only engines that manage their own models understand (Ollama's `options`, e.g.
   * num_ctx, and `keep_alive`): sent as providerOptions to Ollama and local llama.cpp targets,
   * never to OpenAI-compatible servers, which may refuse unknown fields.
   */
  engineOptions?: Record<string, unknown>;
  /**
   * The tools are Station's own (MCP, in /api/chat and realtime), not the client's: offered to any
   * model, never a reason to refuse one not known to call tools (it then simply answers).
   */
  stationTools?: boolean;
}
