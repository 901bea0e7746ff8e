import { copyFile, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { errors } from "../../errors/errors.ts";
import { downloadFile, pullError } from "../download/download-file.ts";
import { findOnnxModelDirectories } from "./find-onnx-model-directories.ts";
import { inspectVisionModel } from "./inspect-vision-model.ts";
import { type OnnxDtype, onnxDtypes } from "./onnx-dtypes.ts";
import { speechFamilyOf } from "./speech-families.ts";
import { familyOf } from "./vision-families.ts";

export interface PullProgress {
  /** The file being downloaded, relative to the repository. */
  file: string;
  /** Bytes of the whole pull done so far, and in all (from the repository listing). */
  completedBytes: number;
  totalBytes: number;
}

export interface PullOnnxRepositoryOptions {
  /** hf:<user>/<repo> or hf:<user>/<repo>@<revision> */
  uri: string;
  /**
   * Models directory; the repository lands in <directory>/<repo>. A function: per kind of model,
   * asked with undefined for where config.json is staged before the kind is known (it may throw
   * once it knows the kind: no provider would serve it).
   */
  directory: string | ((kind: OnnxModelKind | undefined) => string);
  /** Precision to fetch; "auto" prefers fp32, then 8-bit, then whatever every component has. */
  dtype?: OnnxDtype | "auto";
  huggingFaceEndpoint?: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  onProgress?(progress: PullProgress): void;
  signal?: AbortSignal;
}

/** Which local engine a repository is for. */
export type OnnxModelKind = "vision" | "speech";

export interface PullOnnxRepositoryResult {
  kind: OnnxModelKind;
  path: string;
  modelName: string;
  family: string;
  dtype: OnnxDtype;
  files: string[];
  sizeBytes: number;
  alreadyPresent: boolean;
}

const treeSchema = z.array(
  z.looseObject({
    type: z.string(),
    path: z.string(),
    size: z.number().int().min(0).optional(),
    lfs: z.looseObject({ oid: z.string(), size: z.number().int().min(0) }).optional(),
  }),
);

/** Files besides the graphs that transformers.js may read (configs, tokenizer, chat template). */
const supportFiles = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "processor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "chat_template.json",
  "chat_template.jinja",
  // VITS (MMS-TTS) tokenizers keep their characters here.
  "vocab.json",
];

/** A `hf:<user>/<repo>` URI with no file part names a whole repository. */
export function isRepositoryUri(uri: string): boolean {
  return /^hf:\/*[^/]+\/[^/]+\/?$/.test(uri);
}

/**
 * `station pull hf:onnx-community/Florence-2-base-ft` (or a Moonshine / VITS speech repository):
 * lists the repository (Hugging Face's tree API), reads config.json to learn the family, and
 * downloads only what the engine needs — the
 * support files and, for each component the family runs, one precision of its ONNX graph (plus
 * external data) — each resumable and checked against the listed size and LFS SHA-256. Files go
 * to a hidden staging directory that is renamed into place once the model inspects as servable.
 */
export async function pullOnnxRepository(options: PullOnnxRepositoryOptions): Promise<PullOnnxRepositoryResult> {
  const match = /^hf:\/*([^/]+)\/([^/@]+)(?:@([^/]+))?\/?$/.exec(options.uri);
  if (match === null) throw errors.invalidRequest(`'${options.uri}' is not a repository URI: expected hf:<user>/<repo>`, "uri");
  const [, user = "", repo = "", revision = "main"] = match;
  if ([user, repo].some((part) => part.startsWith(".") || part.includes(".."))) {
    throw errors.invalidRequest(`'${options.uri}' is not a repository URI`, "uri");
  }
  const base = (options.huggingFaceEndpoint ?? "https://huggingface.co").replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const directoryFor = (kind: OnnxModelKind | undefined) =>
    typeof options.directory === "string" ? options.directory : options.directory(kind);
  // config.json is read before the kind is known: staged where the caller says, then moved with the rest.
  const firstDirectory = directoryFor(undefined);
  const encoded = `${encodeURIComponent(user)}/${encodeURIComponent(repo)}`;

  let listing: z.infer<typeof treeSchema>;
  try {
    const response = await doFetch(`${base}/api/models/${encoded}/tree/${encodeURIComponent(revision)}?recursive=true`, {
      headers: { ...options.headers },
      signal: options.signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      const hint = response.status === 401 || response.status === 403 ? " (a gated or private repository? Set HF_TOKEN)" : "";
      throw pullError(`Listing ${user}/${repo} failed: HTTP ${response.status}${hint}`);
    }
    listing = treeSchema.parse(await response.json());
  } catch (error) {
    if (error instanceof z.ZodError) throw pullError(`The listing of ${user}/${repo} is not a Hugging Face tree listing`, error);
    if ((error as { code?: string }).code === "pull_failed") throw error;
    throw pullError(`Cannot reach ${base}: ${(error as Error).message}`, error);
  }
  const files = new Map(listing.filter((entry) => entry.type === "file").map((entry) => [entry.path, entry]));
  if (!files.has("config.json")) throw pullError(`${user}/${repo} has no config.json: not a Hugging Face model repository`);

  let directory = firstDirectory;
  let staging = path.join(directory, `.${repo}.partial`);
  let completedBytes = 0;
  let totalBytes = 0;
  const fetched = new Set<string>();
  const fetchFile = async (file: string) => {
    if (fetched.has(file)) return;
    fetched.add(file);
    const entry = files.get(file);
    const sizeBytes = entry?.lfs?.size ?? entry?.size;
    const before = completedBytes;
    const result = await downloadFile({
      url: `${base}/${encoded}/resolve/${encodeURIComponent(revision)}/${file.split("/").map(encodeURIComponent).join("/")}`,
      target: path.join(staging, file),
      ...(sizeBytes === undefined ? {} : { sizeBytes }),
      ...(entry?.lfs === undefined ? {} : { sha256: entry.lfs.oid }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress(received) {
        completedBytes = before + received;
        options.onProgress?.({ file, completedBytes, totalBytes });
      },
    });
    completedBytes = before + result.sizeBytes;
    options.onProgress?.({ file, completedBytes, totalBytes });
  };

  // config.json first: the family says which graphs to fetch.
  let present = (await findOnnxModelDirectories([directory])).find((model) => model.name === repo);
  const configSource = present === undefined ? undefined : path.join(directory, repo, "config.json");
  if (configSource === undefined) await fetchFile("config.json");
  const config = JSON.parse(await readFile(configSource ?? path.join(staging, "config.json"), "utf8")) as { model_type?: unknown };
  const modelType = typeof config.model_type === "string" ? config.model_type : "";
  const visionFamily = familyOf(modelType);
  const speechFamily = visionFamily === undefined ? speechFamilyOf(modelType) : undefined;
  const family = visionFamily ?? speechFamily;
  if (family === undefined) {
    throw pullError(
      `${user}/${repo} is a '${String(config.model_type)}' model, not a family Station can run (Florence-2, moondream2, SmolVLM and Qwen2-VL for vision, Moonshine, Whisper and VITS for speech)`,
    );
  }
  const [familyName, definition] = family;
  const kind: OnnxModelKind = speechFamily === undefined ? "vision" : "speech";
  if (definition.runner === undefined) {
    throw pullError(
      `${user}/${repo} is a ${familyName} model ('${String(config.model_type)}'), which this Station version cannot run yet (Moonshine, Whisper and VITS it can)`,
    );
  }
  const kindDirectory = directoryFor(kind);
  if (kindDirectory !== directory) {
    // The model lives where its engine looks: the staged config.json moves there.
    const kindStaging = path.join(kindDirectory, `.${repo}.partial`);
    await mkdir(kindStaging, { recursive: true });
    if (configSource === undefined) {
      await rename(path.join(staging, "config.json"), path.join(kindStaging, "config.json"));
      await rm(staging, { recursive: true, force: true });
    } else await copyFile(configSource, path.join(kindStaging, "config.json"));
    directory = kindDirectory;
    staging = kindStaging;
    present = (await findOnnxModelDirectories([directory])).find((model) => model.name === repo);
  }
  const target = path.join(directory, repo);
  const available = (dtype: OnnxDtype) =>
    definition.components.every((component) =>
      files.has(`onnx/${component}${onnxDtypes.find((entry) => entry.dtype === dtype)?.suffix}.onnx`),
    );
  const requested = options.dtype ?? "auto";
  if (kind === "speech" && requested !== "auto" && requested !== "fp32")
    throw pullError(`The local speech engine loads full-precision graphs only: pull ${user}/${repo} with --dtype fp32 (or auto)`);
  const dtype =
    requested === "auto"
      ? onnxDtypes
          .map((entry) => entry.dtype)
          .filter((candidate) => kind === "vision" || candidate === "fp32")
          .find(available)
      : available(requested)
        ? requested
        : undefined;
  if (dtype === undefined) {
    throw pullError(
      requested === "auto"
        ? `${user}/${repo} has no precision with every graph the ${familyName} engine needs (${definition.components.join(", ")})`
        : `${user}/${repo} has no '${requested}' graphs for every component; pick another --dtype`,
    );
  }
  const suffix = onnxDtypes.find((entry) => entry.dtype === dtype)?.suffix ?? "";
  const wanted = [
    ...supportFiles.filter((file) => files.has(file)),
    ...definition.components.flatMap((component) => {
      const graph = `onnx/${component}${suffix}.onnx`;
      // External weights: <graph>_data, <graph>_data_1, ...
      return [graph, ...[...files.keys()].filter((file) => file.startsWith(`${graph}_data`))];
    }),
  ];
  totalBytes = wanted.reduce((sum, file) => sum + (files.get(file)?.lfs?.size ?? files.get(file)?.size ?? 0), 0);

  if (present !== undefined) {
    const missing = [];
    for (const file of wanted) if (!(await exists(path.join(target, file)))) missing.push(file);
    if (missing.length === 0) {
      return { kind, path: target, modelName: repo, family: familyName, dtype, files: wanted, sizeBytes: totalBytes, alreadyPresent: true };
    }
    throw pullError(`${target} exists but lacks ${missing.join(", ")}: remove it (or pull another --dtype into another directory)`);
  }

  for (const file of wanted) await fetchFile(file);
  const staged = { name: repo, path: staging, sizeBytes: totalBytes, modifiedMs: Date.now() };
  if (kind === "vision") {
    const inspection = await inspectVisionModel(`${user}/${repo}`, staged);
    if (!inspection.ok) throw pullError(`${user}/${repo} downloaded but cannot be served: ${inspection.error.message}`);
  } else if (!(await exists(path.join(staging, "tokenizer.json"))) && !(await exists(path.join(staging, "vocab.json")))) {
    throw pullError(`${user}/${repo} downloaded but cannot be served: it has no tokenizer (tokenizer.json or vocab.json)`);
  }
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  return { kind, path: target, modelName: repo, family: familyName, dtype, files: wanted, sizeBytes: totalBytes, alreadyPresent: false };
}

async function exists(filePath: string): Promise<boolean> {
  return stat(filePath).then(
    () => true,
    () => false,
  );
}
