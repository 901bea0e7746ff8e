import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { ModelOnDisk } from "../residency/create-inspection-cache.ts";
import { scanModelsDirectories } from "../scan-models-directories.ts";

/**
 * A Hugging Face ONNX repository on disk, named after its directory; `sizeBytes` counts every
 * .onnx file (plus external data) under onnx/, `modifiedMs` is the newest of config.json and those.
 */
export type OnnxModelDirectory = ModelOnDisk;

/**
 * Every directory directly under the models directories that holds a config.json and an onnx/
 * folder (the layout of Hugging Face ONNX repositories, which `station pull hf:...` writes).
 * A name found in two directories is taken from the first.
 */
export async function findOnnxModelDirectories(directories: readonly string[]): Promise<OnnxModelDirectory[]> {
  return scanModelsDirectories(directories, async (modelPath, name) => {
    const config = await stat(path.join(modelPath, "config.json"));
    const onnxDirectory = path.join(modelPath, "onnx");
    let sizeBytes = 0;
    let modifiedMs = config.mtimeMs;
    for (const file of await readdir(onnxDirectory)) {
      if (file.endsWith(".partial")) continue;
      const info = await stat(path.join(onnxDirectory, file));
      sizeBytes += info.size;
      modifiedMs = Math.max(modifiedMs, info.mtimeMs);
    }
    return { name, path: modelPath, sizeBytes, modifiedMs };
  });
}
