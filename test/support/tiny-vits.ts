import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { jsonFileWriter } from "./json-file-writer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { applyMask, feedForward } from "./onnx/transformer-blocks.ts";
import { tokenizer } from "./tiny-florence2.ts";

/**
 * Writes a random-weight VITS text-to-speech model in the layout of the MMS-TTS ONNX exports
 * transformers.js loads (config.json with sampling_rate, tokenizer files, onnx/model.onnx:
 * input_ids + attention_mask → waveform), so the real loading, tokenising and inference run
 * offline. Each input token becomes `samplesPerToken` samples of (random) sound, so the audio's
 * length follows the text's like a real model's.
 */
export function writeTinyVits(directory: string, options: { samplingRate?: number; samplesPerToken?: number } = {}): { directory: string } {
  const width = 16;
  const samplesPerToken = options.samplesPerToken ?? 400;
  const vocabulary = 4 + 256 + 1000;
  mkdirSync(path.join(directory, "onnx"), { recursive: true });
  const graph = new OnnxGraph("vits", 41);
  const ids = graph.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  const mask = graph.input("attention_mask", "int64", ["batch_size", "sequence_length"]);
  let state = applyMask(graph, graph.node("Gather", [graph.weight([vocabulary, width], 1), ids], { axis: 0 }), mask);
  state = feedForward(graph, state, width, width * 2);
  const frames = graph.node("Tanh", [graph.node("MatMul", [state, graph.weight([width, samplesPerToken], 0.5)])]);
  const waveform = graph.node("Mul", [graph.node("Reshape", [frames, graph.int64s([2], [0, -1])]), graph.floats([], [0.3])]);
  graph.output(waveform, "waveform", "float", ["batch_size", "num_samples"]);
  writeFileSync(path.join(directory, "onnx", "model.onnx"), graph.toBytes());
  const write = jsonFileWriter(directory);
  write("config.json", {
    architectures: ["VitsModel"],
    model_type: "vits",
    sampling_rate: options.samplingRate ?? 16_000,
    hidden_size: width,
    vocab_size: vocabulary,
    speaking_rate: 1,
  });
  write("tokenizer_config.json", {
    tokenizer_class: "VitsTokenizer",
    add_blank: false,
    normalize: true,
    pad_token: "<pad>",
    unk_token: "<unk>",
  });
  write("tokenizer.json", tokenizer(vocabulary));
  return { directory };
}
