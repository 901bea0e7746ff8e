import type { InferenceSession } from "onnxruntime-node";
import type { BoundingBox, Point } from "../spec/vision-model.ts";
import type { EncodingCache } from "../transformers/create-encoding-cache.ts";
import { KeyValueCache } from "./key-value-cache.ts";
import { createMoondreamRunner, type EncodedImage, type MoondreamRunner } from "./moondream-runner.ts";
import { type MoonfileIndex, moonfileComponent, readMoonfileEntry } from "./moonfile-archive.ts";
import { type MoonfileConfig, type MoonfileGraph, moonfileConfigSchema, moonfileGraphs } from "./moonfile-config.ts";
import type { Ort } from "./onnx-values.ts";
import { parseNpy } from "./parse-npy.ts";

export interface MoonfileTask {
  image: { data: Uint8Array; mediaType: string };
  contentHash: string;
  signal?: AbortSignal | undefined;
}

export interface MoonfileAnswer {
  text: string;
  /** Tokens generated (the end-of-text token not counted). */
  tokens: number;
}

/** A loaded `.mf` on the thread that loaded it (the worker thread, in the server). */
export interface MoonfileEngine {
  caption(task: MoonfileTask & { length: string; maxTokens: number; onText?: (text: string) => void }): Promise<MoonfileAnswer>;
  query(task: MoonfileTask & { question: string; maxTokens: number; onText?: (text: string) => void }): Promise<MoonfileAnswer>;
  detect(task: MoonfileTask & { object: string }): Promise<BoundingBox[]>;
  point(task: MoonfileTask & { object: string }): Promise<Point[]>;
  dispose(): Promise<void>;
}

export interface LoadMoonfileOptions {
  path: string;
  index: MoonfileIndex;
  threads: number;
  /** Encoded images (the decoder's cache after the image) by content hash. */
  cache: EncodingCache<EncodedImage>;
  onEncoderRun?: () => void;
}

/**
 * Loads a Moondream `.mf` the way onnx_vl.py's OnnxVL.from_path does: one ONNX Runtime session
 * per graph, the tokenizer, config.json and initial_kv_cache.npy, each read from its offset in
 * the archive. A graph ONNX Runtime cannot parse fails the load with the graph's name.
 */
export async function loadMoonfile(options: LoadMoonfileOptions): Promise<MoonfileEngine> {
  const ort: Ort = await import("onnxruntime-node");
  const { PreTrainedTokenizer } = await import("@huggingface/transformers");
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: ["cpu"],
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  };
  const sessions = new Map<string, InferenceSession>();
  const release = async () => {
    await Promise.allSettled([...sessions.values()].map((session) => session.release()));
    sessions.clear();
  };
  let config: MoonfileConfig | undefined;
  let tokenizerJson: unknown;
  let initialCache: KeyValueCache | undefined;
  try {
    for (const entry of options.index.entries) {
      const { key, extension } = moonfileComponent(entry.name);
      const bytes = await readMoonfileEntry(options.path, entry);
      try {
        if (key === "tokenizer") tokenizerJson = JSON.parse(Buffer.from(bytes).toString("utf8"));
        else if (extension === "onnx") sessions.set(key, await ort.InferenceSession.create(bytes, sessionOptions));
        else if (key === "config" && extension === "json")
          config = moonfileConfigSchema.parse(JSON.parse(Buffer.from(bytes).toString("utf8")));
        else if (key === "initial_kv_cache" && extension === "npy") {
          const array = parseNpy(bytes);
          initialCache = KeyValueCache.of(array.dtype, array.shape, array.data);
        }
      } catch (error) {
        throw new Error(`${entry.name}: ${(error as Error).message}`, { cause: error });
      }
    }
    const missing = moonfileGraphs.filter((graph) => !sessions.has(graph));
    if (missing.length > 0) throw new Error(`the archive has no ${missing.map((graph) => `${graph}.onnx`).join(", ")}`);
    if (config === undefined) throw new Error("the archive has no config.json");
    if (tokenizerJson === undefined) throw new Error("the archive has no tokenizer.json");
    if (initialCache === undefined) throw new Error("the archive has no initial_kv_cache.npy");
    const tokenizer = new PreTrainedTokenizer(tokenizerJson, {});
    const graphs = Object.fromEntries(moonfileGraphs.map((graph) => [graph, sessions.get(graph)])) as Record<
      MoonfileGraph,
      InferenceSession
    >;
    const runner = createMoondreamRunner({ ort, graphs, tokenizer, config, initialCache });
    return moonfileEngine(options, config, runner, release);
  } catch (error) {
    await release();
    throw error;
  }
}

function moonfileEngine(
  options: LoadMoonfileOptions,
  config: MoonfileConfig,
  runner: MoondreamRunner,
  release: () => Promise<void>,
): MoonfileEngine {
  const encoded = async (task: MoonfileTask): Promise<EncodedImage> => {
    const cached = options.cache.get(task.contentHash);
    if (cached !== undefined) return cached;
    options.onEncoderRun?.();
    const image = await runner.encodeImage(task.image.data);
    options.cache.set(task.contentHash, image);
    return image;
  };
  return {
    async caption(task) {
      const prompt = config.templates.caption?.[task.length] ?? config.templates.caption?.normal;
      if (prompt === undefined) throw new Error(`the model has no caption template for length '${task.length}'`);
      const image = await encoded(task);
      return runner.generate(prompt, image, task.maxTokens, task.signal, task.onText);
    },
    async query(task) {
      const template = config.templates.query;
      if (template === undefined) throw new Error("the model has no query template");
      const prompt = [...template.prefix, ...runner.encode(task.question), ...template.suffix];
      const image = await encoded(task);
      return runner.generate(prompt, image, task.maxTokens, task.signal, task.onText);
    },
    async detect(task) {
      const template = config.templates.detect;
      if (template === undefined) throw new Error("the model has no detect template");
      const prompt = [...template.prefix, ...runner.encode(` ${task.object}`), ...template.suffix];
      return runner.detect(prompt, await encoded(task), task.signal);
    },
    async point(task) {
      const template = config.templates.point;
      if (template === undefined) throw new Error("the model has no point template");
      const prompt = [...template.prefix, ...runner.encode(` ${task.object}`), ...template.suffix];
      return runner.point(prompt, await encoded(task), task.signal);
    },
    async dispose() {
      options.cache.clear();
      await release();
    },
  };
}

export type { EncodedImage };
