import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

// Apart from load-whisper.ts so that listing models (create-local-speech-provider.ts) reads what a
// Whisper can do without loading transformers.js and ONNX Runtime at start-up.

/** What Station reads from generation_config.json itself (transformers.js reads the rest). */
const generationConfigSchema = z.looseObject({
  decoder_start_token_id: z.number().int(),
  no_timestamps_token_id: z.number().int(),
  is_multilingual: z.boolean().optional(),
  lang_to_id: z.record(z.string(), z.number().int()).optional(),
  task_to_id: z.looseObject({ transcribe: z.number().int(), translate: z.number().int() }).optional(),
  /** [decoder layer, head] pairs whose cross-attention follows the audio (word timestamps); a malformed list counts as none. */
  alignment_heads: z
    .array(z.tuple([z.number().int().min(0), z.number().int().min(0)]))
    .optional()
    .catch(undefined),
});

export type WhisperGenerationConfig = z.infer<typeof generationConfigSchema>;

/** Reads a Whisper directory's generation_config.json: which languages it knows, whether it can translate. */
export async function readWhisperGenerationConfig(directory: string): Promise<WhisperGenerationConfig> {
  return generationConfigSchema.parse(JSON.parse(await readFile(path.join(directory, "generation_config.json"), "utf8")));
}

/** A multilingual Whisper has language and task tokens; an English-only one (whisper-tiny.en) has neither. */
export const whisperTranslates = (config: WhisperGenerationConfig): boolean =>
  config.is_multilingual !== false && config.lang_to_id !== undefined && config.task_to_id !== undefined;
