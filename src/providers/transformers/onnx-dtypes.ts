/**
 * The file-name suffixes transformers.js gives each ONNX precision (onnx/<component><suffix>.onnx),
 * in the order Station prefers them on the CPU: full precision first, then 8-bit (ONNX Runtime's
 * integer kernels are fast on x86), then the smaller, lossier ones.
 */
export const onnxDtypes = [
  { dtype: "fp32", suffix: "" },
  { dtype: "q8", suffix: "_quantized" },
  { dtype: "int8", suffix: "_int8" },
  { dtype: "uint8", suffix: "_uint8" },
  { dtype: "q4", suffix: "_q4" },
  { dtype: "fp16", suffix: "_fp16" },
  { dtype: "bnb4", suffix: "_bnb4" },
  { dtype: "q4f16", suffix: "_q4f16" },
] as const;

export type OnnxDtype = (typeof onnxDtypes)[number]["dtype"];
