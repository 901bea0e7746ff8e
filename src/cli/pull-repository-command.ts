import path from "node:path";
import type { StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import { huggingFaceAuthorization } from "../providers/download/hugging-face-authorization.ts";
import { type LocalSpeechProviderConfig, localSpeechModelsDirectories } from "../providers/speech/create-local-speech-provider.ts";
import { type LocalVisionProviderConfig, localVisionModelsDirectories } from "../providers/transformers/create-local-vision-provider.ts";
import { type OnnxDtype, onnxDtypes } from "../providers/transformers/onnx-dtypes.ts";
import { type OnnxModelKind, pullOnnxRepository } from "../providers/transformers/pull-onnx-repository.ts";
import type { PullFlags } from "./pull-flags.ts";
import { createPullProgressBar, megabytes } from "./pull-progress-bar.ts";

/** `station pull hf:<user>/<repo>`: a Hugging Face ONNX vision or speech repository, with one progress bar over every file. */
export async function pullRepositoryCommand(uri: string, flags: PullFlags, config: StationConfig): Promise<void> {
  const vision = config.providers?.find((provider): provider is LocalVisionProviderConfig => provider.type === "local-vision");
  const speech = config.providers?.find((provider): provider is LocalSpeechProviderConfig => provider.type === "local-speech");
  const dataModels = path.join(config.dataDir, "models");
  const directory = (kind: OnnxModelKind | undefined): string => {
    if (flags.dir !== undefined) return path.resolve(flags.dir);
    if (kind === "speech" || (kind === undefined && vision === undefined))
      return speech === undefined ? dataModels : (localSpeechModelsDirectories(speech, config)[0] ?? dataModels);
    return vision === undefined ? dataModels : (localVisionModelsDirectories(vision, config)[0] ?? dataModels);
  };
  const dtype = flags.dtype ?? "auto";
  if (dtype !== "auto" && !onnxDtypes.some((entry) => entry.dtype === dtype)) {
    throw errors.invalidRequest(`--dtype ${dtype}: expected one of ${onnxDtypes.map((entry) => entry.dtype).join(", ")}`, "dtype");
  }
  const bar = createPullProgressBar(flags, "{bar} {percentage}% | {value}/{total} MB | {file}");
  const result = await pullOnnxRepository({
    uri,
    directory,
    dtype: dtype as OnnxDtype | "auto",
    huggingFaceEndpoint: flags.hfEndpoint ?? config.huggingFace.endpoint,
    ...huggingFaceAuthorization(uri, config.huggingFace.token),
    onProgress: ({ file, completedBytes, totalBytes }) => bar.update(completedBytes, totalBytes, { file }),
  }).finally(() => bar.stop());
  const id = result.kind === "speech" ? (speech?.id ?? "speech") : (vision?.id ?? "vision");
  if (result.alreadyPresent) process.stdout.write(`already present: ${result.path}\n`);
  else process.stdout.write(`saved ${result.path} (${result.files.length} files, ${megabytes(result.sizeBytes)} MB, ${result.dtype})\n`);
  process.stdout.write(`model: ${id}/${result.modelName} (${result.family})\n`);
}
