import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The files of a local directory laid out the way Hugging Face serves a repository, for
 * startFileServer: the tree API listing (`/api/models/<repo>/tree/main`, with sizes and the LFS
 * SHA-256 of each ONNX graph) and `/<repo>/resolve/main/<file>`. Each `onnx/*.onnx` is offered
 * again as the 8-bit `_quantized` variant, so a pull must pick one precision.
 *
 * @param repository "/<user>/<repo>", e.g. "/onnx-community/Tiny-Florence-2"
 * @param extra more files, by path inside the repository
 */
export function huggingFaceRepositoryFiles(
  repository: string,
  directory: string,
  extra: Record<string, Buffer> = {},
): Record<string, Buffer> {
  const contents: Record<string, Buffer> = { ...extra };
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      const file = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(file);
      else contents[file] = readFileSync(path.join(directory, file));
    }
  };
  walk("");
  for (const [file, bytes] of Object.entries({ ...contents })) {
    if (file.startsWith("onnx/")) contents[file.replace(/\.onnx$/, "_quantized.onnx")] = bytes;
  }
  const listing = Object.entries(contents).map(([file, bytes]) => ({
    type: "file",
    path: file,
    size: bytes.length,
    ...(file.endsWith(".onnx") ? { lfs: { oid: createHash("sha256").update(bytes).digest("hex"), size: bytes.length } } : {}),
  }));
  const files: Record<string, Buffer> = {
    [`/api/models${repository}/tree/main`]: Buffer.from(JSON.stringify([{ type: "directory", path: "onnx" }, ...listing])),
  };
  for (const [file, bytes] of Object.entries(contents)) files[`${repository}/resolve/main/${file}`] = bytes;
  return files;
}
