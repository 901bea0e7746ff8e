import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export interface MoonfileOnDisk {
  /** The file name without ".mf": the model's name in the registry. */
  name: string;
  path: string;
  sizeBytes: number;
  modifiedMs: number;
}

/** Every `<name>.mf` directly under the models directories; a name found twice is taken from the first directory. */
export async function findMoonfiles(directories: readonly string[]): Promise<MoonfileOnDisk[]> {
  const found = new Map<string, MoonfileOnDisk>();
  for (const directory of directories) {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch {
      continue; // A models directory that does not exist yet holds no models.
    }
    for (const file of names.sort()) {
      if (!file.endsWith(".mf") || file.startsWith(".")) continue;
      const name = file.slice(0, -".mf".length);
      if (found.has(name)) continue;
      const filePath = path.join(directory, file);
      try {
        const info = await stat(filePath);
        if (info.isFile()) found.set(name, { name, path: filePath, sizeBytes: info.size, modifiedMs: info.mtimeMs });
      } catch {
        // Removed while scanning.
      }
    }
  }
  return [...found.values()];
}
