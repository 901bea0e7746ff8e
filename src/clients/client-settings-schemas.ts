import { z } from "zod";

/** What the model is asked with. null means "leave it to the model's own default". */
export const llmSettingsSchema = z.strictObject({
  /** "<provider>/<model>" or a route alias; null: config `defaults.chatModel`. */
  model: z.string().min(1).max(256).nullable().default(null),
  system_prompt: z.string().max(100_000).default(""),
  temperature: z.number().min(0).max(2).nullable().default(null),
  top_p: z.number().gt(0).max(1).nullable().default(null),
  max_tokens: z.number().int().positive().max(1_000_000).nullable().default(null),
  presence_penalty: z.number().min(-2).max(2).nullable().default(null),
  frequency_penalty: z.number().min(-2).max(2).nullable().default(null),
  seed: z.number().int().nullable().default(null),
  stop: z.array(z.string().min(1)).max(4).default([]),
  /** Tool rounds per turn; null: config `chat.maxToolRounds`. */
  max_tool_rounds: z.number().int().min(1).max(64).nullable().default(null),
});

export const ttsSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  provider: z.string().min(1).nullable().default(null),
  voice: z.string().min(1).default("default"),
  speed: z.number().min(0.25).max(4).default(1),
  format: z.enum(["mp3", "wav", "opus", "aac", "flac", "pcm"]).default("mp3"),
  auto_play: z.boolean().default(false),
});

export const sttSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  provider: z.string().min(1).nullable().default(null),
  model: z.string().min(1).nullable().default(null),
  /** BCP 47 tag or "auto". */
  language: z.string().min(1).max(35).default("auto"),
  auto_send: z.boolean().default(false),
});

export const uiSettingsSchema = z.strictObject({
  theme: z.enum(["system", "light", "dark"]).default("system"),
  language: z.string().min(1).max(35).default("en"),
  font_size: z.number().int().min(8).max(40).default(14),
  show_tool_calls: z.boolean().default(true),
  send_on_enter: z.boolean().default(true),
});

export const clientSettingsSchemas = {
  llm: llmSettingsSchema,
  tts: ttsSettingsSchema,
  stt: sttSettingsSchema,
  ui: uiSettingsSchema,
} as const;

export type SettingsSection = keyof typeof clientSettingsSchemas;
export const settingsSections = Object.keys(clientSettingsSchemas) as SettingsSection[];

export type LlmSettings = z.infer<typeof llmSettingsSchema>;

export interface ClientSettings {
  llm: LlmSettings;
  tts: z.infer<typeof ttsSettingsSchema>;
  stt: z.infer<typeof sttSettingsSchema>;
  ui: z.infer<typeof uiSettingsSchema>;
}

export function defaultSettings(): ClientSettings {
  return {
    llm: llmSettingsSchema.parse({}),
    tts: ttsSettingsSchema.parse({}),
    stt: sttSettingsSchema.parse({}),
    ui: uiSettingsSchema.parse({}),
  };
}

/** Client ids are chosen by the client (a browser profile, a device): keep them printable and short. */
export const clientIdSchema = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, "1-128 letters, digits or _ . : @ -");
