import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export interface GgufFile {
  /** File name without ".gguf": the model's name under its provider. */
  name: string;
  path: string;
  sizeBytes: number;
  modifiedMs: number;
}

/**
 * Every *.gguf directly inside the given directories (missing directories are skipped).
 * The first directory wins when two hold the same name. Split files ("-00002-of-00003")
 * and vision projectors ("mmproj") are not chat models on their own and are left out.
 */
export async function findGgufFiles(directories: string[]): Promise<GgufFile[]> {
  const found = new Map<string, GgufFile>();
  for (const directory of directories) {
    let entries: string[];
    try {
      entries = await readdir(directory);
    } catch {
      continue;
    }
    for (const entry of entries.sort()) {
      if (!entry.toLowerCase().endsWith(".gguf")) continue;
      if (/-0000[2-9]-of-\d{5}\.gguf$/i.test(entry) || /mmproj/i.test(entry)) continue;
      const name = entry.slice(0, -".gguf".length).replace(/-00001-of-\d{5}$/i, "");
      if (found.has(name)) continue;
      const filePath = path.join(directory, entry);
      try {
        const stats = await stat(filePath);
        if (stats.isFile()) found.set(name, { name, path: filePath, sizeBytes: stats.size, modifiedMs: stats.mtimeMs });
      } catch {
        // Removed between readdir and stat.
      }
    }
  }
  return [...found.values()];
}
