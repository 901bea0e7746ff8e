import {
  AutoModelForImageTextToText,
  AutoModelForVision2Seq,
  AutoProcessor,
  AutoTokenizer,
  env,
  InterruptableStoppingCriteria,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
  RawImage,
  type Tensor,
  TextStreamer,
} from "@huggingface/transformers";
import type { EncodingCache } from "./create-encoding-cache.ts";
import type { OnnxDtype } from "./onnx-dtypes.ts";
import { type MergeInputs, spliceImageFeatures } from "./splice-image-features.ts";

// Station never lets transformers.js reach the network: models come from `station pull`.
env.allowRemoteModels = false;

/** The transformers.js image-text-to-text families Station runs, each with its own prompt and processor. */
export type ImageTextFamily = "smolvlm" | "qwen2vl" | "moondream2";

export interface ImageTextTask {
  /** The user's words after the image (a caption request or a question). */
  prompt: string;
  image: { data: Uint8Array; mediaType: string };
  /** Content hash of the image bytes: the encoding cache key. */
  contentHash: string;
  maxNewTokens: number;
  /** Decode the answer with its special tokens (Qwen2-VL writes boxes between `<|box_start|>` and `<|box_end|>`). */
  keepSpecialTokens?: boolean;
}

export interface ImageTextAnswer {
  text: string;
  tokens: number;
}

export interface ImageTextEngine {
  run(task: ImageTextTask, signal: AbortSignal, onText: ((text: string) => void) | undefined): Promise<ImageTextAnswer>;
  dispose(): Promise<void>;
}

export interface LoadImageTextModelOptions {
  family: ImageTextFamily;
  directory: string;
  dtypes: Record<string, OnnxDtype>;
  threads: number;
}

export interface ImageTextCaching {
  /** Vision-encoder output by image content hash. */
  cache: EncodingCache<Tensor>;
  /** Counts runs of the vision encoder (tests and metrics see that a cached image skips it). */
  onEncoderRun(): void;
}

/**
 * Qwen2-VL sees an image at its own resolution (up to 12.8 megapixels in its processor config):
 * a phone photo would be thousands of vision tokens, minutes on a CPU. Station caps the image at
 * this many pixels (448 × 448: 256 tokens after the 2 × 2 merge), as transformers.js's examples do.
 */
export const qwen2VlMaxPixels = 448 * 448;

type Inputs = Record<string, Tensor>;

interface Prompter {
  /** The model's inputs for one question about one image. */
  inputs(prompt: string, image: RawImage): Promise<Inputs>;
  tokenizer: PreTrainedTokenizer;
}

interface ChatProcessor extends Processor {
  apply_chat_template(messages: unknown[], options: { add_generation_prompt: boolean }): string;
  (text: string, images: RawImage[]): Promise<Inputs>;
}

/** The chat template's user turn (an image, then the words), as SmolVLM and Qwen2-VL were trained. */
async function chatPrompter(directory: string, family: ImageTextFamily): Promise<Prompter> {
  const processor = (await AutoProcessor.from_pretrained(directory, { local_files_only: true })) as unknown as ChatProcessor;
  if (processor.tokenizer === undefined) throw new Error(`tokenizer.json did not give ${family} a tokenizer`);
  if (family === "qwen2vl") {
    const images = processor.image_processor as unknown as { max_pixels?: number };
    images.max_pixels = Math.min(images.max_pixels ?? qwen2VlMaxPixels, qwen2VlMaxPixels);
  }
  return {
    tokenizer: processor.tokenizer,
    inputs: (prompt, image) => {
      const messages = [{ role: "user", content: [{ type: "image" }, { type: "text", text: prompt }] }];
      return processor(processor.apply_chat_template(messages, { add_generation_prompt: true }), [image]);
    },
  };
}

/**
 * moondream2's ONNX export (onnx-community / Xenova moondream2): an image-only processor, the
 * tokenizer apart, and the prompt its model card gives: `<image>` then "Question: … Answer:".
 */
async function moondreamPrompter(directory: string): Promise<Prompter> {
  const processor = (await AutoProcessor.from_pretrained(directory, { local_files_only: true })) as unknown as (
    image: RawImage,
  ) => Promise<Inputs>;
  const tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
  return {
    tokenizer,
    async inputs(prompt, image) {
      const { pixel_values } = await processor(image);
      if (pixel_values === undefined) throw new Error("moondream2's image processor gave no pixel_values");
      const text = tokenizer(`<image>\n\nQuestion: ${prompt}\n\nAnswer:`) as unknown as Inputs;
      return { ...text, pixel_values };
    },
  };
}

/**
 * SmolVLM / Idefics3, Qwen2-VL and moondream2 through transformers.js: the family's processor
 * builds the prompt with the image (SmolVLM resizes or splits it, Qwen2-VL cuts it into patches
 * at its resolution, moondream2 resizes it to 378 × 378), the model merges the vision encoder's
 * features into the text embeddings and generates greedily with its key/value cache.
 * Encode once: transformers.js asks `encode_image` for the image's features; the wrapped one
 * looks the pixel tensor's image up by content hash and hands back the features it kept.
 */
export async function loadImageTextModel(options: LoadImageTextModelOptions, caching: ImageTextCaching): Promise<ImageTextEngine> {
  const Loader = options.family === "smolvlm" ? AutoModelForVision2Seq : AutoModelForImageTextToText;
  const model = (await Loader.from_pretrained(options.directory, {
    dtype: options.dtypes as Record<string, "fp32">,
    device: "cpu",
    local_files_only: true,
    session_options: { intraOpNumThreads: options.threads, interOpNumThreads: 1 },
  })) as PreTrainedModel;
  let prompter: Prompter;
  try {
    prompter =
      options.family === "moondream2" ? await moondreamPrompter(options.directory) : await chatPrompter(options.directory, options.family);
  } catch (error) {
    await model.dispose();
    throw error;
  }
  const { tokenizer } = prompter;
  const imageOf = new WeakMap<object, string>();
  const hooks = model as unknown as {
    encode_image(inputs: { pixel_values: Tensor }): Promise<Tensor>;
    _merge_input_ids_with_image_features(inputs: MergeInputs): { inputs_embeds: Tensor; attention_mask: Tensor };
  };
  const encodeImage = hooks.encode_image.bind(model);
  hooks.encode_image = async (inputs) => {
    const hash = imageOf.get(inputs.pixel_values);
    const cached = hash === undefined ? undefined : caching.cache.get(hash);
    if (cached !== undefined) return cached;
    caching.onEncoderRun();
    const features = await encodeImage(inputs);
    if (hash !== undefined) caching.cache.set(hash, features);
    return features;
  };
  if (options.family === "moondream2") {
    const config = model.config as unknown as { image_token_index?: number; image_token_id?: number };
    const imageToken = config.image_token_index ?? config.image_token_id ?? -200;
    const merge = hooks._merge_input_ids_with_image_features.bind(model);
    hooks._merge_input_ids_with_image_features = (inputs) => spliceImageFeatures(inputs, imageToken, merge);
  }
  const special = new Set(tokenizer.all_special_ids.map(Number));
  return {
    async run(task, signal, onText) {
      signal.throwIfAborted();
      const image = await RawImage.fromBlob(new Blob([task.image.data as Uint8Array<ArrayBuffer>], { type: task.image.mediaType }));
      const inputs = await prompter.inputs(task.prompt, image);
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
                // The answer after "Assistant:" or "Answer:" starts with a space.
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
        const text = tokenizer.batch_decode(answer, { skip_special_tokens: task.keepSpecialTokens !== true })[0] ?? "";
        const ids = (answer.tolist() as (number | bigint)[][])[0] ?? [];
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
