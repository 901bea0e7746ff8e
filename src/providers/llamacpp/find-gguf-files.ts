import { stat } from "node:fs/promises";
import type { ModelOnDisk } from "../residency/create-inspection-cache.ts";
import { scanModelsDirectories } from "../scan-models-directories.ts";

/** A *.gguf on disk; `name` is the file name without ".gguf" (and without a split's "-00001-of-N"). */
export type GgufFile = ModelOnDisk;

/**
 * Every *.gguf directly inside the given directories (missing directories are skipped).
 * The first directory wins when two hold the same name. Split files ("-00002-of-00003")
 * and vision projectors ("mmproj") are not chat models on their own and are left out.
 */
export async function findGgufFiles(directories: string[]): Promise<GgufFile[]> {
  return scanModelsDirectories(directories, async (filePath, entry) => {
    if (!entry.toLowerCase().endsWith(".gguf")) return undefined;
    if (/-0000[2-9]-of-\d{5}\.gguf$/i.test(entry) || /mmproj/i.test(entry)) return undefined;
    const stats = await stat(filePath);
    if (!stats.isFile()) return undefined;
    const name = entry.slice(0, -".gguf".length).replace(/-00001-of-\d{5}$/i, "");
    return { name, path: filePath, sizeBytes: stats.size, modifiedMs: stats.mtimeMs };
  });
}
