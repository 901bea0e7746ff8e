import path from "node:path";
import { readOnnxOutputNames } from "../transformers/read-onnx-output-names.ts";
import type { WhisperGenerationConfig } from "./whisper-generation-config.ts";

/** The decoder graph the local engine loads (fp32). */
export const whisperDecoderFile = (directory: string) => path.join(directory, "onnx", "decoder_model_merged.onnx");

/** How many decoder layers' cross-attentions a graph returns (outputs `cross_attentions.<layer>`, as the `output_attentions` exports name them). */
export const crossAttentionLayers = (outputNames: readonly string[]): number =>
  outputNames.filter((name) => /^cross_attentions\.\d+$/.test(name)).length;

/**
 * Whether a Whisper can give word timestamps (transformers.js' `return_token_timestamps`: DTW over
 * the alignment heads' cross-attentions): its generation_config.json names alignment heads and its
 * decoder returns the cross-attentions of every layer they are in. Plain exports
 * (onnx-community/whisper-tiny) return none; the `_timestamped` ones and Xenova's do.
 */
export function wordTimestampsPossible(generation: WhisperGenerationConfig, outputNames: readonly string[]): boolean {
  const heads = generation.alignment_heads ?? [];
  const layers = crossAttentionLayers(outputNames);
  return heads.length > 0 && heads.every(([layer]) => layer < layers);
}

const outputNamesCache = new Map<string, Promise<string[]>>();

/**
 * The output names of a Whisper directory's decoder graph, read once per version of the directory
 * (`modifiedMs` changes when a graph is replaced); an unreadable graph has none.
 */
export function whisperDecoderOutputNames(directory: string, modifiedMs: number): Promise<string[]> {
  const key = `${directory}\u0000${modifiedMs}`;
  let names = outputNamesCache.get(key);
  if (names === undefined) {
    for (const cached of outputNamesCache.keys()) if (cached.startsWith(`${directory}\u0000`)) outputNamesCache.delete(cached);
    names = readOnnxOutputNames(whisperDecoderFile(directory)).catch(() => []);
    outputNamesCache.set(key, names);
  }
  return names;
}
