/**
 * Provider spec: the types every chat adapter implements. Types only, no runtime code.
 * Modelled on the Vercel AI SDK provider spec: `generate` for a whole reply, `stream`
 * for a stream of typed parts. Wire formats (OpenAI, Ollama, ...) live in adapters.
 */
import type { JsonSchema } from "./json-schema.ts";

export type ChatRole = "system" | "user" | "assistant" | "tool";

/** An image as it reaches a provider: already fetched, decoded and validated by Station. */
export interface ImagePart {
  type: "image";
  /** Raw image bytes. */
  data: Uint8Array;
  /** e.g. "image/png", "image/jpeg". */
  mediaType: string;
  /** The original URL if the caller gave an http(s) URL (some providers prefer fetching themselves). */
  url?: string;
}

export interface TextPart {
  type: "text";
  text: string;
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  name: string;
  /** JSON-encoded arguments, exactly as the model produced them. */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: string | ContentPart[];
  /** Assistant messages that asked for tools. */
  toolCalls?: ToolCall[];
  /** Tool messages: which call this answers. */
  toolCallId?: string;
  name?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: JsonSchema;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name?: string; schema: JsonSchema; strict?: boolean };

export interface ChatRequest {
  /** The model name as the provider knows it (without the "<providerId>/" prefix). */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: ResponseFormat;
  /**
   * Provider-specific pass-through, e.g. Ollama `{ options: { num_ctx }, keep_alive }`,
   * OpenRouter `{ provider: {...} }`. Adapters pick what they understand.
   */
  providerOptions?: Record<string, unknown>;
  /** Aborts the upstream call (client disconnected, timeout). */
  signal?: AbortSignal;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error" | "other";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ChatResult {
  text: string;
  /** The model's visible reasoning ("thinking"), where it shows one. */
  reasoning?: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage?: Usage;
  /** Provider's own id for the generation, if any. */
  id?: string;
}

/** Parts of a streamed reply. A stream ends after exactly one `finish` or one `error`. */
export type StreamPart =
  | { type: "text-delta"; text: string }
  /** Reasoning ("thinking") text, before or between the answer's text. */
  | { type: "reasoning-delta"; text: string }
  | {
      type: "tool-call-delta";
      /** Position of the call in this reply; deltas with the same index belong together. */
      index: number;
      id?: string;
      name?: string;
      argumentsDelta?: string;
    }
  | { type: "usage"; usage: Usage }
  | { type: "finish"; finishReason: FinishReason; usage?: Usage }
  | { type: "error"; error: Error };

export interface ChatModel {
  /** "<providerId>/<modelName>" */
  readonly id: string;
  readonly providerId: string;
  readonly modelName: string;
  generate(request: ChatRequest): Promise<ChatResult>;
  stream(request: ChatRequest): AsyncIterable<StreamPart>;
}
