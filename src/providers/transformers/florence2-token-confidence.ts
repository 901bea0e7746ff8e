/** One generated token as the OCR confidence sees it: a location bin, a special token, or text. */
export interface ScoredToken {
  kind: "location" | "special" | "text";
  /** Softmax probability of the token greedy decoding chose (0..1). */
  probability: number;
}

export interface Florence2Confidence {
  /** Per region of an OCR answer (text, then eight location bins), the mean probability of its text tokens. */
  regions: number[];
  /** The mean over every text token of the answer (when the regions do not line up with the parsed labels). */
  overall: number;
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

/**
 * Florence-2 gives no score with its OCR, so Station takes the one a recogniser gives (PP-OCR's is
 * the mean of its characters' probabilities): the mean softmax probability of a region's text
 * tokens. Regions are split as transformers.js's `<OCR_WITH_REGION>` post-processing splits them,
 * text followed by eight location tokens (a quadrilateral); a shorter run of locations stays part
 * of the text before it, as it does in that regular expression.
 */
export function florence2Confidence(tokens: readonly ScoredToken[]): Florence2Confidence {
  const regions: number[] = [];
  const all: number[] = [];
  let text: number[] = [];
  let locations = 0;
  for (const token of tokens) {
    if (token.kind === "special") continue;
    if (token.kind === "text") {
      text.push(token.probability);
      all.push(token.probability);
      locations = 0;
      continue;
    }
    locations++;
    if (locations < 8) continue;
    if (text.length > 0) regions.push(mean(text));
    text = [];
    locations = 0;
  }
  return { regions, overall: mean(all) };
}

/**
 * A logits processor for transformers.js's generate() that records, per step, the probability of
 * the most likely token (greedy decoding picks it): softmax of the largest logit of batch row 0.
 */
export function tokenProbabilityRecorder(): {
  processor: (inputIds: unknown, logits: { data: unknown; dims: readonly number[] }) => unknown;
  probabilities: number[];
} {
  const probabilities: number[] = [];
  return {
    probabilities,
    processor(_inputIds, logits) {
      const vocabulary = logits.dims.at(-1) ?? 0;
      const row = (logits.data as Float32Array).subarray(0, vocabulary);
      let max = Number.NEGATIVE_INFINITY;
      for (const value of row) if (value > max) max = value;
      let sum = 0;
      for (const value of row) sum += Math.exp(value - max);
      probabilities.push(sum > 0 && Number.isFinite(max) ? 1 / sum : 0);
      return logits;
    },
  };
}
