import { readdir } from "node:fs/promises";
import path from "node:path";

/**
 * Every entry directly under the models directories that `read` recognises (a file of the engine's
 * format, a model directory), keyed by the name it gives: a name found twice is taken from the
 * first directory, and within a directory from the first entry in sort order. Missing directories
 * hold no models; hidden entries (staging, partial downloads) are skipped; an entry that fails to
 * read (removed while scanning, unreadable) is left out.
 */
export async function scanModelsDirectories<Entry extends { name: string }>(
  directories: readonly string[],
  read: (entryPath: string, entryName: string) => Promise<Entry | undefined>,
): Promise<Entry[]> {
  const found = new Map<string, Entry>();
  for (const directory of directories) {
    let names: string[];
    try {
      names = await readdir(directory);
    } catch {
      continue; // A models directory that does not exist yet holds no models.
    }
    for (const entryName of names.sort()) {
      if (entryName.startsWith(".")) continue;
      const entry = await read(path.join(directory, entryName), entryName).catch(() => undefined);
      if (entry !== undefined && !found.has(entry.name)) found.set(entry.name, entry);
    }
  }
  return [...found.values()];
}
