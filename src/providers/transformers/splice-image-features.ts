import { cat, ones, type Tensor } from "@huggingface/transformers";

export interface MergeInputs {
  inputs_embeds: Tensor;
  image_features: Tensor;
  input_ids: Tensor;
  attention_mask: Tensor;
}

/**
 * moondream2's prompt holds one `<image>` token (image_token_index −200 in its ONNX export's
 * config); transformers.js 4's LLaVA merge wants one image token per image feature (729 for
 * moondream2). This merge puts the image's features where the single token stands, as LLaVA does
 * in PyTorch and transformers.js 3 did: the embeddings grow by features − 1 positions and the
 * attention mask with them (generation rebuilds the mask from the cache length after that step).
 * A prompt already holding one token per feature gets `fallback` (the library's own merge).
 */
export function spliceImageFeatures(
  inputs: MergeInputs,
  imageTokenId: number,
  fallback: (inputs: MergeInputs) => { inputs_embeds: Tensor; attention_mask: Tensor },
): { inputs_embeds: Tensor; attention_mask: Tensor } {
  const rows = inputs.input_ids.tolist() as (number | bigint)[][];
  const width = inputs.image_features.dims.at(-1) ?? 0;
  const features = inputs.image_features.view(-1, width);
  const featureCount = features.dims[0] ?? 0;
  const positions = rows.map((ids) => ids.flatMap((id, index) => (Number(id) === imageTokenId ? [index] : [])));
  if (positions.every((found) => found.length === 0)) return { inputs_embeds: inputs.inputs_embeds, attention_mask: inputs.attention_mask };
  if (positions.every((found) => found.length === featureCount / rows.length)) return fallback(inputs);
  if (rows.length !== 1 || positions[0]?.length !== 1)
    throw new Error(`the prompt must hold one image token per image (found ${positions.map((found) => found.length).join(", ")})`);
  const index = positions[0][0] ?? 0;
  const length = rows[0]?.length ?? 0;
  const embeds = inputs.inputs_embeds.view(length, width);
  const around = (tensor: Tensor, middle: Tensor) =>
    cat([...(index > 0 ? [tensor.slice([0, index])] : []), middle, ...(index + 1 < length ? [tensor.slice([index + 1, length])] : [])], 0);
  const merged = around(embeds, features);
  const mergedMask = around(inputs.attention_mask.view(length), ones([featureCount]));
  return { inputs_embeds: merged.unsqueeze(0), attention_mask: mergedMask.unsqueeze(0) };
}
