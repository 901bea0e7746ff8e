/**
 * The wire protocol of GET /v1/realtime: JSON text messages, each an object with a `type`.
 * Client messages are validated with these schemas; server events are described by schemas too
 * (tests check every event they receive against them). Names follow OpenAI's Realtime API where
 * it has one (`session.update`, `response.cancel`, `event_id`), snake_case throughout.
 */
import { z } from "zod";
import { clientIdSchema } from "../clients/client-settings-schemas.ts";

/** The subprotocol a client may ask for (browsers must, to pass a key as `bearer.<key>`). */
export const realtimeSubprotocol = "station.realtime.v1";

/** Any client message may carry an `event_id`; every event it causes echoes it. */
const eventId = z.string().min(1).max(128).optional();

export const sessionUpdateMessageSchema = z.strictObject({
  type: z.literal("session.update"),
  event_id: eventId,
  session: z.strictObject({
    /** A model id, route name or bare model name. */
    model: z.string().min(1).max(256).optional(),
    /** The system prompt; "" removes it. */
    instructions: z.string().max(100_000).optional(),
    /** Offer MCP tools to the model (default true). */
    tools: z.boolean().optional(),
    /** Whose MCP tool preferences apply (GET|PUT /api/mcp/preferences/{client_id}); null: none. */
    client_id: clientIdSchema.nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    max_tokens: z.number().int().positive().max(1_000_000).nullable().optional(),
  }),
});

export const textMessageSchema = z.strictObject({
  type: z.literal("text"),
  event_id: eventId,
  text: z.string().min(1, "text must not be empty"),
});

export const imageMessageSchema = z.strictObject({
  type: z.literal("image"),
  event_id: eventId,
  /** A base64 data: URL or bare base64 (JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIF). */
  image: z.string().min(1, "image must not be empty"),
});

/** Audio is always answered with `unsupported`, whatever it carries, so the schema takes anything. */
export const audioMessageSchema = z.looseObject({ type: z.literal("audio"), event_id: eventId });

export const responseCancelMessageSchema = z.strictObject({
  type: z.literal("response.cancel"),
  event_id: eventId,
  /** Cancel only if this response is the one running. */
  response_id: z.string().min(1).max(128).optional(),
});

export const clientMessageSchema = z.discriminatedUnion("type", [
  sessionUpdateMessageSchema,
  textMessageSchema,
  imageMessageSchema,
  audioMessageSchema,
  responseCancelMessageSchema,
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export const clientMessageTypes: ReadonlySet<string> = new Set(["session.update", "text", "image", "audio", "response.cancel"]);

// ---- server events ----

const echoedId = { event_id: z.string().optional() };
const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });

export const sessionDescriptionSchema = z.object({
  id: z.string(),
  model: z.string().nullable(),
  instructions: z.string(),
  tools: z.boolean(),
  client_id: z.string().nullable(),
  temperature: z.number().nullable(),
  max_tokens: z.number().nullable(),
});

export const sessionLimitsSchema = z.object({
  max_message_bytes: z.number(),
  frames_per_second: z.number(),
  frame_burst: z.number(),
  frames_per_turn: z.number(),
  history_turns: z.number(),
});

export const serverEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("session.created"), protocol: z.string(), session: sessionDescriptionSchema, limits: sessionLimitsSchema }),
  z.object({ type: z.literal("session.updated"), ...echoedId, session: sessionDescriptionSchema }),
  z.object({ type: z.literal("response.created"), ...echoedId, response_id: z.string(), model: z.string().nullable(), frames: z.number() }),
  z.object({ type: z.literal("text.delta"), ...echoedId, response_id: z.string(), delta: z.string(), round: z.number() }),
  z.object({
    type: z.literal("tool.call"),
    ...echoedId,
    response_id: z.string(),
    call_id: z.string(),
    name: z.string(),
    server: z.string().nullable(),
    tool: z.string().nullable(),
    arguments: z.unknown(),
    round: z.number(),
  }),
  z.object({
    type: z.literal("tool.result"),
    ...echoedId,
    response_id: z.string(),
    call_id: z.string(),
    name: z.string(),
    is_error: z.boolean(),
    error_code: z.string().optional(),
    content: z.string(),
    truncated: z.boolean(),
    duration_ms: z.number(),
  }),
  z.object({
    type: z.literal("response.done"),
    ...echoedId,
    response_id: z.string(),
    status: z.enum(["completed", "cancelled", "failed"]),
    text: z.string(),
    finish_reason: z.string().nullable(),
    usage: usageSchema,
    rounds: z.number(),
    tool_calls: z.number(),
  }),
  z.object({
    type: z.literal("frame.accepted"),
    ...echoedId,
    width: z.number(),
    height: z.number(),
    bytes: z.number(),
    frames_held: z.number(),
  }),
  z.object({
    type: z.literal("frame.dropped"),
    ...echoedId,
    reason: z.literal("rate_limited"),
    retry_after_ms: z.number(),
    limit: z.object({ frames_per_second: z.number(), frame_burst: z.number() }),
  }),
  z.object({
    type: z.literal("error"),
    ...echoedId,
    response_id: z.string().optional(),
    code: z.string(),
    message: z.string(),
    param: z.string().optional(),
  }),
]);

export type ServerEvent = z.infer<typeof serverEventSchema>;
export type SessionDescription = z.infer<typeof sessionDescriptionSchema>;
export type SessionLimits = z.infer<typeof sessionLimitsSchema>;
export type ErrorEvent = Extract<ServerEvent, { type: "error" }>;
