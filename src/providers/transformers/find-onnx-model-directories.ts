import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export interface OnnxModelDirectory {
  /** The directory's name: the model's name in the registry. */
  name: string;
  path: string;
  /** Bytes of every .onnx file (plus external data) under onnx/. */
  sizeBytes: number;
  /** Newest modification among config.json and the ONNX files (cache key for inspections). */
  modifiedMs: number;
}

/**
 * Every directory directly under the models directories that holds a config.json and an onnx/
 * folder (the layout of Hugging Face ONNX repositories, which `station pull hf:...` writes).
 * A name found in two directories is taken from the first.
 */
export async function findOnnxModelDirectories(directories: readonly string[]): Promise<OnnxModelDirectory[]> {
  const found = new Map<string, OnnxModelDirectory>();
  for (const directory of directories) {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch {
      continue; // A models directory that does not exist yet holds no models.
    }
    for (const name of names.sort()) {
      if (found.has(name) || name.startsWith(".")) continue;
      const modelPath = path.join(directory, name);
      try {
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
        found.set(name, { name, path: modelPath, sizeBytes, modifiedMs });
      } catch {
        // Not a model directory (no config.json or no onnx/), or removed while scanning.
      }
    }
  }
  return [...found.values()];
}
