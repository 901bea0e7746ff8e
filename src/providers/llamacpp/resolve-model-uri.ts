import { errors } from "../../errors/errors.ts";

export const defaultHuggingFaceEndpoint = "https://huggingface.co";

export interface ResolvedModelUri {
  url: string;
  /** File name the model is saved under (its model name is this without ".gguf"). */
  fileName: string;
}

/**
 * `hf:<user>/<repo>/<path/to/file.gguf>` (optionally `@<revision>` after the repo) or an
 * http(s) URL → the download URL. The Hugging Face endpoint is injectable (mirrors, tests).
 */
export function resolveModelUri(
  uri: string,
  huggingFaceEndpoint = defaultHuggingFaceEndpoint,
  /** What the file name must end with (the Moondream pull takes .mf and .mf.gz). */
  extensions: readonly string[] = [".gguf"],
): ResolvedModelUri {
  if (uri.startsWith("hf:")) {
    const parts = uri.slice(3).replace(/^\/+/, "").split("/");
    const [user, repoWithRevision, ...fileParts] = parts;
    if (user === undefined || repoWithRevision === undefined || fileParts.length === 0 || fileParts.some((part) => part.length === 0)) {
      throw errors.invalidRequest(`'${uri}' is not a model URI: expected hf:<user>/<repo>/<file>.gguf`, "uri");
    }
    const [repo, revision = "main"] = repoWithRevision.split("@");
    const filePath = fileParts.join("/");
    const fileName = fileParts.at(-1) as string;
    requireExtension(fileName, uri, extensions);
    const base = huggingFaceEndpoint.replace(/\/+$/, "");
    const encode = (value: string) => value.split("/").map(encodeURIComponent).join("/");
    return {
      url: `${base}/${encode(user)}/${encode(repo as string)}/resolve/${encodeURIComponent(revision)}/${encode(filePath)}`,
      fileName,
    };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw errors.invalidRequest(`'${uri}' is not a model URI: use hf:<user>/<repo>/<file>.gguf or an https:// URL`, "uri");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw errors.invalidRequest(`'${uri}': only http(s) URLs can be pulled`, "uri");
  const fileName = decodeURIComponent(url.pathname.split("/").at(-1) ?? "");
  requireExtension(fileName, uri, extensions);
  return { url: url.toString(), fileName };
}

function requireExtension(fileName: string, uri: string, extensions: readonly string[]): void {
  const lower = fileName.toLowerCase();
  if (!extensions.some((extension) => lower.endsWith(extension)) || fileName.includes("..") || fileName.startsWith(".")) {
    throw errors.invalidRequest(`'${uri}' does not name a ${extensions.join(" or ")} file`, "uri");
  }
}
