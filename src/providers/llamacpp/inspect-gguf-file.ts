import { open, stat } from "node:fs/promises";
import type { readGgufFileInfo } from "node-llama-cpp";
import type { StationError } from "../../errors/station-error.ts";
import { ggufModelError } from "./gguf-model-error.ts";

/** What Station needs to know about a GGUF file, read from its header only (no weights). */
export interface GgufSummary {
  architecture: string;
  /** general.name, if the file has one. */
  displayName?: string;
  contextLength?: number;
  chatTemplate?: string;
  /** Encoder-only embedding models (BERT family) cannot chat. */
  embeddingOnly: boolean;
  sizeBytes: number;
  fileType?: number;
  parameterCount?: number;
}

export type GgufInspection = { ok: true; summary: GgufSummary } | { ok: false; error: StationError };

/** Hyper-parameters llama.cpp reads with asserts (a missing one aborts the process, not a throw). */
const requiredByArchitecture: Record<string, string[]> = {
  default: ["embedding_length", "block_count"],
  transformer: ["embedding_length", "block_count", "feed_forward_length", "attention.head_count"],
};
const transformerArchitectures = new Set([
  "llama",
  "llama4",
  "mistral3",
  "qwen",
  "qwen2",
  "qwen2moe",
  "qwen3",
  "qwen3moe",
  "gemma",
  "gemma2",
  "gemma3",
  "phi2",
  "phi3",
  "starcoder2",
  "stablelm",
  "internlm2",
  "minicpm",
  "olmo",
  "olmo2",
  "granite",
  "deepseek",
  "deepseek2",
  "command-r",
  "cohere2",
  "falcon",
  "gpt2",
  "gptneox",
  "bloom",
  "mpt",
  "exaone",
  "smollm3",
  "bert",
  "nomic-bert",
]);
const embeddingArchitectures = new Set([
  "bert",
  "nomic-bert",
  "nomic-bert-moe",
  "jina-bert-v2",
  "jina-bert-v3",
  "modern-bert",
  "neo-bert",
  "t5encoder",
]);

/** Bytes per block and elements per block of the ggml types real files use; others skip the size check. */
const typeLayout: Record<number, [bytes: number, elements: number]> = {
  0: [4, 1],
  1: [2, 1],
  2: [18, 32],
  3: [20, 32],
  6: [22, 32],
  7: [24, 32],
  8: [34, 32],
  10: [84, 256],
  11: [110, 256],
  12: [144, 256],
  13: [176, 256],
  14: [210, 256],
  15: [292, 256],
  30: [2, 1],
};

/**
 * Reads and validates a GGUF header so a bad file yields a clear error instead of crashing
 * the process inside llama.cpp: parse errors, missing hyper-parameters, missing tokenizer,
 * tensors that point past the end of the file (a truncated download).
 */
export async function inspectGgufFile(modelName: string, filePath: string): Promise<GgufInspection> {
  const fail = (reason: string, cause?: unknown): GgufInspection => ({
    ok: false,
    error: ggufModelError(modelName, filePath, reason, cause),
  });
  let sizeBytes: number;
  try {
    sizeBytes = (await stat(filePath)).size;
  } catch (error) {
    return fail(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
  const header = await readFixedHeader(filePath);
  if (header === undefined || header.magic !== "GGUF") return fail("not a GGUF file (the first bytes are not 'GGUF')");
  // node-llama-cpp's reader never returns on some garbage versions: check the fixed header ourselves first.
  if (header.version < 2 || header.version > 3) return fail(`unsupported GGUF version ${header.version} (expected 2 or 3)`);
  if (header.tensorCount > BigInt(sizeBytes) || header.metadataCount > BigInt(sizeBytes)) {
    return fail("the GGUF header is corrupt (its counts exceed the file size)");
  }
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
  try {
    // Imported here, not at the top: a server with no GGUF files never loads node-llama-cpp.
    const { readGgufFileInfo } = await import("node-llama-cpp");
    info = await readGgufFileInfo(filePath, { logWarnings: false, sourceType: "filesystem", spliceSplitFiles: false });
  } catch (error) {
    return fail(`the GGUF header is corrupt or truncated (${(error as Error).message})`, error);
  }
  const metadata = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
  const architecture = metadata.general?.architecture;
  if (typeof architecture !== "string") return fail("general.architecture is missing");
  const architectureKeys = (metadata[architecture] ?? {}) as Record<string, unknown>;
  const required = transformerArchitectures.has(architecture) ? requiredByArchitecture.transformer : requiredByArchitecture.default;
  const missing = (required ?? []).filter((key) => readPath(architectureKeys, key) === undefined).map((key) => `${architecture}.${key}`);
  const tokenizer = metadata.tokenizer as Record<string, unknown> | undefined;
  const ggml = tokenizer?.ggml as Record<string, unknown> | undefined;
  if (ggml?.model === undefined) missing.push("tokenizer.ggml.model");
  if (ggml?.model !== "none" && !Array.isArray(ggml?.tokens)) missing.push("tokenizer.ggml.tokens");
  if (missing.length > 0) return fail(`required metadata is missing: ${missing.join(", ")}`);

  const tensors = info.tensorInfo ?? [];
  if (tensors.length === 0) return fail("the file has no tensors");
  for (const tensor of tensors) {
    const start = Number(tensor.fileOffset);
    const layout = typeLayout[tensor.ggmlType];
    const elements = tensor.dimensions.reduce<number>((product, dimension) => product * Number(dimension), 1);
    const end = layout === undefined ? start + 1 : start + Math.ceil(elements / layout[1]) * layout[0];
    if (end > sizeBytes) {
      return fail(
        `the file is truncated: tensor '${tensor.name}' ends at byte ${end} but the file has ${sizeBytes} bytes (an interrupted download?)`,
      );
    }
  }
  const general = metadata.general ?? {};
  return {
    ok: true,
    summary: {
      architecture,
      displayName: typeof general.name === "string" ? general.name : undefined,
      contextLength: toNumber(architectureKeys.context_length),
      chatTemplate: typeof tokenizer?.chat_template === "string" ? tokenizer.chat_template : undefined,
      embeddingOnly: embeddingArchitectures.has(architecture),
      sizeBytes,
      fileType: toNumber(general.file_type),
      parameterCount: tensors.reduce((sum, tensor) => sum + tensor.dimensions.reduce<number>((product, d) => product * Number(d), 1), 0),
    },
  };
}

async function readFixedHeader(filePath: string) {
  const file = await open(filePath, "r");
  try {
    const buffer = Buffer.alloc(24);
    const { bytesRead } = await file.read(buffer, 0, 24, 0);
    if (bytesRead < 24) return undefined;
    return {
      magic: buffer.toString("latin1", 0, 4),
      version: buffer.readUInt32LE(4),
      tensorCount: buffer.readBigUInt64LE(8),
      metadataCount: buffer.readBigUInt64LE(16),
    };
  } finally {
    await file.close();
  }
}

function readPath(record: Record<string, unknown>, dotted: string): unknown {
  let value: unknown = record;
  for (const part of dotted.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return undefined;
}
