import { stat } from "node:fs/promises";
import type { ModelOnDisk } from "../residency/create-inspection-cache.ts";
import { scanModelsDirectories } from "../scan-models-directories.ts";

export interface MoonfileOnDisk extends ModelOnDisk {
  /** A `.mf.gz` as Moondream publishes them, dropped in by hand: unpacked beside itself before use. */
  gzipped: boolean;
}

const moonfileName = /^(.+)\.mf(\.gz)?$/i;

/**
 * Every `<name>.mf`, and `<name>.mf.gz` with no `<name>.mf` beside it, directly under the models
 * directories; a name found twice is taken from the first directory.
 */
export async function findMoonfiles(directories: readonly string[]): Promise<MoonfileOnDisk[]> {
  return scanModelsDirectories(directories, async (filePath, file) => {
    const match = moonfileName.exec(file);
    if (match === null) return undefined;
    const info = await stat(filePath);
    if (!info.isFile()) return undefined;
    return { name: match[1] ?? file, path: filePath, sizeBytes: info.size, modifiedMs: info.mtimeMs, gzipped: match[2] !== undefined };
  });
}
