import {
  AutoModelForVision2Seq,
  AutoProcessor,
  env,
  InterruptableStoppingCriteria,
  type PreTrainedModel,
  type Processor,
  RawImage,
  type Tensor,
  TextStreamer,
} from "@huggingface/transformers";
import type { EncodingCache } from "./create-encoding-cache.ts";
import type { OnnxDtype } from "./onnx-dtypes.ts";

// Station never lets transformers.js reach the network: models come from `station pull`.
env.allowRemoteModels = false;

export interface SmolVlmTask {
  /** The user's words after the image (a caption request or a question). */
  prompt: string;
  image: { data: Uint8Array; mediaType: string };
  /** Content hash of the image bytes: the encoding cache key. */
  contentHash: string;
  maxNewTokens: number;
}

export interface SmolVlmAnswer {
  text: string;
  tokens: number;
}

export interface SmolVlmEngine {
  run(task: SmolVlmTask, signal: AbortSignal, onText: ((text: string) => void) | undefined): Promise<SmolVlmAnswer>;
  dispose(): Promise<void>;
}

export interface LoadSmolVlmOptions {
  directory: string;
  dtypes: Record<string, OnnxDtype>;
  threads: number;
}

export interface SmolVlmCaching {
  /** Vision-encoder output by image content hash. */
  cache: EncodingCache<Tensor>;
  /** Counts runs of the vision encoder (tests and metrics see that a cached image skips it). */
  onEncoderRun(): void;
}

interface ChatProcessor extends Processor {
  apply_chat_template(messages: unknown[], options: { add_generation_prompt: boolean }): string;
  (text: string, images: RawImage[]): Promise<Record<string, Tensor>>;
}

/**
 * SmolVLM / Idefics3 through transformers.js: its processor builds the chat prompt with the
 * image (resize or split, <image> tokens expanded to the image's features), the model merges the
 * vision encoder's features into the text embeddings and generates greedily with its cache.
 * Encode once: transformers.js asks `encode_image` for the image's features; the wrapped one
 * looks the pixel tensor's image up by content hash and hands back the features it kept.
 */
export async function loadSmolVlm(options: LoadSmolVlmOptions, caching: SmolVlmCaching): Promise<SmolVlmEngine> {
  const model = (await AutoModelForVision2Seq.from_pretrained(options.directory, {
    dtype: options.dtypes as Record<string, "fp32">,
    device: "cpu",
    local_files_only: true,
    session_options: { intraOpNumThreads: options.threads, interOpNumThreads: 1 },
  })) as PreTrainedModel;
  let processor: ChatProcessor;
  try {
    processor = (await AutoProcessor.from_pretrained(options.directory, { local_files_only: true })) as unknown as ChatProcessor;
    if (processor.tokenizer === undefined) throw new Error("tokenizer.json did not give SmolVLM a tokenizer");
  } catch (error) {
    await model.dispose();
    throw error;
  }
  const tokenizer = processor.tokenizer;
  const imageOf = new WeakMap<object, string>();
  const withEncoder = model as unknown as { encode_image(inputs: { pixel_values: Tensor }): Promise<Tensor> };
  const encodeImage = withEncoder.encode_image.bind(model);
  withEncoder.encode_image = async (inputs) => {
    const hash = imageOf.get(inputs.pixel_values);
    const cached = hash === undefined ? undefined : caching.cache.get(hash);
    if (cached !== undefined) return cached;
    caching.onEncoderRun();
    const features = await encodeImage(inputs);
    if (hash !== undefined) caching.cache.set(hash, features);
    return features;
  };
  return {
    async run(task, signal, onText) {
      signal.throwIfAborted();
      const messages = [{ role: "user", content: [{ type: "image" }, { type: "text", text: task.prompt }] }];
      const prompt = processor.apply_chat_template(messages, { add_generation_prompt: true });
      const image = await RawImage.fromBlob(new Blob([task.image.data as Uint8Array<ArrayBuffer>], { type: task.image.mediaType }));
      const inputs = await processor(prompt, [image]);
      if (inputs.pixel_values !== undefined) imageOf.set(inputs.pixel_values, task.contentHash);
      const stopping = new InterruptableStoppingCriteria();
      const abort = () => stopping.interrupt();
      signal.addEventListener("abort", abort, { once: true });
      try {
        let started = false;
        const streamer =
          onText === undefined
            ? undefined
            : new TextStreamer(tokenizer, {
                skip_prompt: true,
                skip_special_tokens: true,
                // The answer after "Assistant:" starts with a space.
                callback_function: (text: string) => {
                  const piece = started ? text : text.trimStart();
                  if (piece === "") return;
                  started = true;
                  onText(piece);
                },
              });
        const generated = (await model.generate({
          ...inputs,
          max_new_tokens: task.maxNewTokens,
          do_sample: false,
          stopping_criteria: stopping,
          ...(streamer === undefined ? {} : { streamer }),
        } as Parameters<typeof model.generate>[0])) as Tensor;
        signal.throwIfAborted();
        const promptLength = inputs.input_ids?.dims.at(-1) ?? 0;
        const answer = generated.slice(null, [promptLength, generated.dims.at(-1) ?? promptLength]);
        const text = tokenizer.batch_decode(answer, { skip_special_tokens: true })[0] ?? "";
        const ids = (answer.tolist() as number[][])[0] ?? [];
        const special = new Set(tokenizer.all_special_ids);
        return { text: text.trim(), tokens: ids.filter((id) => !special.has(Number(id))).length };
      } finally {
        signal.removeEventListener("abort", abort);
      }
    },
    async dispose() {
      caching.cache.clear();
      await model.dispose();
    },
  };
}
