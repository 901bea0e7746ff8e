import {
  AutoProcessor,
  DynamicCache,
  env,
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  InterruptableStoppingCriteria,
  RawImage,
  Tensor,
  TextStreamer,
} from "@huggingface/transformers";
import type { ImagePart } from "../spec/chat-model.ts";
import type { EncodingCache } from "./create-encoding-cache.ts";
import { type Florence2Confidence, florence2Confidence, tokenProbabilityRecorder } from "./florence2-token-confidence.ts";
import type { OnnxDtype } from "./onnx-dtypes.ts";

// Station never lets transformers.js reach the network: models come from `station pull`.
env.allowRemoteModels = false;

export interface Florence2Task {
  /** A Florence-2 task token (<CAPTION>, <CAPTION_TO_PHRASE_GROUNDING>, ...), or free text. */
  task: string;
  /** Text appended to tasks that take an input (the phrase to ground). */
  input?: string;
  image: ImagePart;
  /** Content hash of the image bytes: the encoding cache key. */
  contentHash: string;
  maxNewTokens: number;
  signal?: AbortSignal | undefined;
  /** Decoded text as it is generated (special tokens removed). */
  onText?: (text: string) => void;
}

export interface Florence2Answer {
  /** The whole decoded answer, special tokens removed. */
  text: string;
  /** transformers.js's post-processing for the task (labels and boxes with coordinates 0..1). */
  parsed: unknown;
  tokens: number;
  /** OCR tasks (post-processing type "ocr"): the probabilities of the answer's tokens, per region. */
  confidence?: Florence2Confidence;
}

/** What generate() needs to skip both encoders. */
export interface EncoderState {
  inputs_embeds: Tensor;
  attention_mask: Tensor;
  encoder_outputs: Tensor;
  /**
   * The decoder's cross-attention keys and values over the encoder output (past_key_values.N.encoder.*),
   * from the first generate() on this state: a decoder's first step computes them for every image
   * token, which on Florence-2-base costs several later steps' worth.
   */
  crossAttention?: Record<string, Tensor>;
}

/** Bytes an encoder state holds (its cache is bounded by size: cross-attention entries are large). */
export function encoderStateBytes(state: EncoderState): number {
  const tensors = [state.inputs_embeds, state.attention_mask, state.encoder_outputs, ...Object.values(state.crossAttention ?? {})];
  return tensors.reduce((sum, tensor) => sum + (tensor.data as ArrayBufferView).byteLength, 0);
}

type GenerateResult = Tensor | { sequences: Tensor; past_key_values: Record<string, Tensor> };

/** A decoder cache whose self-attention part is empty and whose cross-attention part is `crossAttention`. */
function prefilledCache(crossAttention: Record<string, Tensor>): DynamicCache {
  const entries: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(crossAttention)) {
    entries[name] = tensor;
    const [batch = 1, heads = 1, , width = 1] = tensor.dims;
    const empty = new (tensor.data.constructor as new (length: number) => ArrayBufferView)(0);
    entries[name.replace(".encoder.", ".decoder.")] = new Tensor(tensor.type as "float32", empty as Float32Array, [batch, heads, 0, width]);
  }
  return new DynamicCache(entries);
}

interface PreparesEncoderState {
  _prepare_encoder_decoder_kwargs_for_generation(options: {
    inputs_tensor: Tensor;
    model_inputs: Record<string, Tensor>;
    model_input_name: string;
    generation_config: { guidance_scale: null };
  }): Promise<Record<string, Tensor>>;
}

/** A loaded Florence-2 on the calling thread (ONNX Runtime computes there: see florence2-worker.ts). */
export interface Florence2Engine {
  run(task: Florence2Task): Promise<Florence2Answer>;
  dispose(): Promise<void>;
}

export interface LoadFlorence2Options {
  directory: string;
  dtypes: Record<string, OnnxDtype>;
  threads: number;
  cache: EncodingCache<Tensor>;
  /** Encoder output by image hash and prompt. */
  encoderOutputs: EncodingCache<EncoderState>;
  /** Counts runs of the vision encoder (tests and metrics see that a cached image skips it). */
  onEncoderRun?: () => void;
}

/**
 * Loads Florence-2's four ONNX graphs and its processor with transformers.js, and answers one
 * task per call. The image features of the vision encoder are cached by image content hash, so
 * a second task on the same image runs only the text encoder and the decoder: transformers.js
 * asks `encode_image` for features, and a cached image is passed as a one-element "ticket"
 * tensor that the wrapped `encode_image` maps back to its features.
 */
export async function loadFlorence2(options: LoadFlorence2Options): Promise<Florence2Engine> {
  // No spin-waiting between graph runs: a spinning pool thread takes the core the server's event
  // loop needs (bench/vision A/B on the shared 2-core VM: 1.9× faster captions, 1.5× less CPU without it).
  const sessionOptions = {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
  const model = await Florence2ForConditionalGeneration.from_pretrained(options.directory, {
    dtype: options.dtypes as Record<string, "fp32">,
    device: "cpu",
    local_files_only: true,
    session_options: sessionOptions,
  });
  let processor: Florence2Processor;
  try {
    processor = (await AutoProcessor.from_pretrained(options.directory, { local_files_only: true })) as Florence2Processor;
  } catch (error) {
    await model.dispose();
    throw error;
  }
  const { image_processor: imageProcessor, tokenizer } = processor;
  if (imageProcessor === undefined || tokenizer === undefined) {
    await model.dispose();
    throw new Error("preprocessor_config.json or tokenizer.json did not give Florence-2 an image processor and a tokenizer");
  }
  const tickets = new WeakMap<object, Tensor>();
  const encodeImage = model.encode_image.bind(model);
  model.encode_image = async (inputs: { pixel_values: Tensor }) => {
    const cached = tickets.get(inputs.pixel_values);
    if (cached !== undefined) return cached;
    options.onEncoderRun?.();
    return encodeImage(inputs);
  };

  const imageFeatures = async (task: Florence2Task): Promise<Tensor> => {
    const cached = options.cache.get(task.contentHash);
    if (cached !== undefined) return cached;
    const image = await RawImage.fromBlob(new Blob([task.image.data as Uint8Array<ArrayBuffer>], { type: task.image.mediaType }));
    const { pixel_values } = (await imageProcessor(image)) as { pixel_values: Tensor };
    const features = (await model.encode_image({ pixel_values })) as Tensor;
    options.cache.set(task.contentHash, features);
    return features;
  };

  /**
   * The multimodal encoder's output for this image and prompt. Cached too: the same task on the
   * same image (a caption asked twice, the same frame again) skips both encoders. This calls
   * transformers.js's own preparation step (an internal method of the pinned 4.x release) so the
   * cached state is exactly what generate() would have built.
   */
  const encoderKey = (task: Florence2Task, prompt: string) => `${task.contentHash}\u0000${prompt}`;
  const encoderState = async (task: Florence2Task, prompt: string): Promise<EncoderState> => {
    const key = encoderKey(task, prompt);
    const cached = options.encoderOutputs.get(key);
    if (cached !== undefined) return cached;
    const features = await imageFeatures(task);
    const ticket = new Tensor("float32", new Float32Array(1), [1, 1, 1, 1]);
    tickets.set(ticket, features);
    const text = tokenizer([prompt]) as { input_ids: Tensor; attention_mask: Tensor };
    const prepared = (await (model as unknown as PreparesEncoderState)._prepare_encoder_decoder_kwargs_for_generation({
      inputs_tensor: text.input_ids,
      model_inputs: { input_ids: text.input_ids, attention_mask: text.attention_mask, pixel_values: ticket },
      model_input_name: "inputs_embeds",
      generation_config: { guidance_scale: null },
    })) as unknown as EncoderState;
    const state = {
      inputs_embeds: prepared.inputs_embeds,
      attention_mask: prepared.attention_mask,
      encoder_outputs: prepared.encoder_outputs,
    };
    options.encoderOutputs.set(key, state);
    return state;
  };

  /** The generated tokens (after the decoder's start token) with the probability each was chosen with. */
  const scoreAnswer = (generated: Tensor, probabilities: number[]): Florence2Confidence => {
    const ids = (generated.tolist() as bigint[][])[0]?.slice(1) ?? [];
    return florence2Confidence(
      ids.map((id, index) => {
        const piece = tokenizer.decode([id], { skip_special_tokens: false });
        const kind = /^<loc_\d+>$/.test(piece)
          ? "location"
          : tokenizer.decode([id], { skip_special_tokens: true }) === ""
            ? "special"
            : "text";
        return { kind, probability: probabilities[index] ?? 0 };
      }),
    );
  };

  return {
    async run(task) {
      task.signal?.throwIfAborted();
      const prompt = processor.construct_prompts(task.input === undefined ? task.task : `${task.task}${task.input}`)[0] ?? "";
      const encoderInputs = await encoderState(task, prompt);
      const stopping = new InterruptableStoppingCriteria();
      const abort = () => stopping.interrupt();
      task.signal?.addEventListener("abort", abort, { once: true });
      try {
        const streamer =
          task.onText === undefined
            ? undefined
            : new TextStreamer(tokenizer, { skip_special_tokens: true, callback_function: task.onText });
        const { crossAttention, ...encoded } = encoderInputs;
        // Florence-2 scores no OCR line: the token probabilities greedy decoding saw stand in (OCR tasks only).
        const recorder = processor.tasks_answer_post_processing_type.get(task.task) === "ocr" ? tokenProbabilityRecorder() : undefined;
        const result = (await model.generate({
          ...encoded,
          // Known cross-attention: the first step only attends (use_cache_branch); else ask generate() for its cache.
          ...(crossAttention === undefined ? { return_dict_in_generate: true } : { past_key_values: prefilledCache(crossAttention) }),
          max_new_tokens: task.maxNewTokens,
          do_sample: false,
          num_beams: 1,
          stopping_criteria: stopping,
          ...(recorder === undefined ? {} : { logits_processor: [recorder.processor] }),
          ...(streamer === undefined ? {} : { streamer }),
        } as Parameters<typeof model.generate>[0])) as GenerateResult;
        const generated = result instanceof Tensor ? result : result.sequences;
        if (crossAttention === undefined && !(result instanceof Tensor)) {
          encoderInputs.crossAttention = Object.fromEntries(
            Object.entries(result.past_key_values).filter(([name]) => name.includes(".encoder.")),
          );
          // Set again so the bounded cache measures the entry with its decoder prefix.
          options.encoderOutputs.set(encoderKey(task, prompt), encoderInputs);
        }
        task.signal?.throwIfAborted();
        const raw = processor.batch_decode(generated, { skip_special_tokens: false })[0] ?? "";
        // Coordinates come back relative to a 1×1 image: the vision API wants them normalised.
        const parsed = processor.post_process_generation(raw, task.task, [1, 1]) as Record<string, unknown>;
        return {
          text: raw.replaceAll("<s>", "").replaceAll("</s>", "").replaceAll("<pad>", ""),
          parsed: parsed[task.task],
          tokens: Math.max(0, generated.dims.at(-1) ?? 0),
          ...(recorder === undefined ? {} : { confidence: scoreAnswer(generated, recorder.probabilities) }),
        };
      } finally {
        task.signal?.removeEventListener("abort", abort);
      }
    },
    async dispose() {
      options.cache.clear();
      options.encoderOutputs.clear();
      await model.dispose();
    },
  };
}
