/**
 * Client events of OpenAI's Realtime protocol (GA dialect), as Station reads them. Objects are
 * loose where OpenAI's are large and evolving (a field Station does not use is ignored, as the
 * official clients send many); what Station acts on is checked.
 */
import { z } from "zod";

const eventId = z.string().min(1).max(128).optional();

const audioFormatSchema = z.looseObject({
  type: z.enum(["audio/pcm", "audio/pcmu", "audio/pcma"]),
  rate: z.number().optional(),
});

const turnDetectionSchema = z
  .looseObject({
    type: z.enum(["server_vad", "semantic_vad"]),
    threshold: z.number().min(0).max(1).optional(),
    prefix_padding_ms: z.number().int().min(0).max(5000).optional(),
    silence_duration_ms: z.number().int().min(100).max(10_000).optional(),
    create_response: z.boolean().optional(),
    interrupt_response: z.boolean().optional(),
  })
  .nullable();

export const functionToolSchema = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1).max(128),
  description: z.string().max(10_000).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const sessionPatchSchema = z.looseObject({
  type: z.enum(["realtime", "transcription"]).optional(),
  model: z.string().min(1).max(256).optional(),
  instructions: z.string().max(100_000).optional(),
  output_modalities: z
    .array(z.enum(["text", "audio"]))
    .min(1)
    .optional(),
  audio: z
    .looseObject({
      input: z
        .looseObject({
          format: audioFormatSchema.optional(),
          transcription: z
            .looseObject({
              model: z.string().max(256).optional(),
              language: z.string().max(16).optional(),
              prompt: z.string().max(10_000).optional(),
            })
            .nullable()
            .optional(),
          turn_detection: turnDetectionSchema.optional(),
          noise_reduction: z.unknown().optional(),
        })
        .optional(),
      output: z
        .looseObject({
          format: audioFormatSchema.optional(),
          voice: z.union([z.string().min(1).max(128), z.looseObject({ id: z.string() })]).optional(),
          speed: z.number().min(0.25).max(4).optional(),
        })
        .optional(),
    })
    .optional(),
  tools: z.array(z.union([functionToolSchema, z.looseObject({ type: z.literal("mcp") })])).optional(),
  tool_choice: z
    .union([
      z.enum(["auto", "none", "required"]),
      z.looseObject({ type: z.literal("function"), name: z.string() }),
      z.looseObject({ type: z.literal("mcp") }),
    ])
    .optional(),
  max_output_tokens: z.union([z.number().int().positive(), z.literal("inf")]).optional(),
  temperature: z.number().min(0).max(2).optional(),
});

const contentPartSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("input_text"), text: z.string() }),
  z.looseObject({ type: z.literal("text"), text: z.string() }),
  z.looseObject({ type: z.literal("output_text"), text: z.string() }),
  z.looseObject({ type: z.literal("input_image"), image_url: z.string().min(1), detail: z.string().optional() }),
  z.looseObject({ type: z.literal("input_audio"), audio: z.string().optional(), transcript: z.string().nullable().optional() }),
  z.looseObject({ type: z.literal("output_audio"), audio: z.string().optional(), transcript: z.string().nullable().optional() }),
]);

export const conversationItemSchema = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("message"),
    id: z.string().min(1).max(64).optional(),
    role: z.enum(["user", "assistant", "system"]),
    content: z.array(contentPartSchema).min(1),
  }),
  z.looseObject({
    type: z.literal("function_call_output"),
    id: z.string().min(1).max(64).optional(),
    call_id: z.string().min(1).max(128),
    output: z.string(),
  }),
  z.looseObject({
    type: z.literal("function_call"),
    id: z.string().min(1).max(64).optional(),
    call_id: z.string().min(1).max(128),
    name: z.string().min(1),
    arguments: z.string(),
  }),
]);

export const openAiClientEventSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("session.update"), event_id: eventId, session: sessionPatchSchema }),
  z.looseObject({ type: z.literal("input_audio_buffer.append"), event_id: eventId, audio: z.string() }),
  z.looseObject({ type: z.literal("input_audio_buffer.commit"), event_id: eventId }),
  z.looseObject({ type: z.literal("input_audio_buffer.clear"), event_id: eventId }),
  z.looseObject({
    type: z.literal("conversation.item.create"),
    event_id: eventId,
    previous_item_id: z.string().nullable().optional(),
    item: conversationItemSchema,
  }),
  z.looseObject({ type: z.literal("conversation.item.delete"), event_id: eventId, item_id: z.string().min(1) }),
  z.looseObject({
    type: z.literal("response.create"),
    event_id: eventId,
    response: z
      .looseObject({
        instructions: z.string().max(100_000).optional(),
        output_modalities: z
          .array(z.enum(["text", "audio"]))
          .min(1)
          .optional(),
        tools: z.array(z.union([functionToolSchema, z.looseObject({ type: z.literal("mcp") })])).optional(),
        conversation: z.enum(["auto", "none"]).optional(),
        max_output_tokens: z.union([z.number().int().positive(), z.literal("inf")]).optional(),
      })
      .optional(),
  }),
  z.looseObject({ type: z.literal("response.cancel"), event_id: eventId, response_id: z.string().optional() }),
  z.looseObject({ type: z.literal("output_audio_buffer.clear"), event_id: eventId }),
]);

export type OpenAiClientEvent = z.infer<typeof openAiClientEventSchema>;
export type SessionPatch = z.infer<typeof sessionPatchSchema>;
export type ConversationItemInput = z.infer<typeof conversationItemSchema>;
export type FunctionTool = z.infer<typeof functionToolSchema>;
export const openAiClientEventTypes: ReadonlySet<string> = new Set(
  openAiClientEventSchema.options.map((option) => option.shape.type.value),
);
