import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "./blob-store.ts";

/** Upload bytes as files under `<root>/<first two hex digits>/<id>` (the embedded default). */
export function createFileBlobStore(root: string): BlobStore {
  const pathOf = (id: string) => path.join(root, id.slice(0, 2), id);
  return {
    async put(id, bytes) {
      const file = pathOf(id);
      const onDisk = await stat(file).then(
        (info) => info.size === bytes.length,
        () => false,
      );
      if (onDisk) return;
      mkdirSync(path.dirname(file), { recursive: true });
      // Write then rename: a crash mid-write never leaves a truncated file under a valid id.
      const temporary = `${file}.${randomUUID()}.partial`;
      await writeFile(temporary, bytes);
      await rename(temporary, file);
    },
    async get(id) {
      return readFile(pathOf(id)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
    },
  };
}
