import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { errors } from "../../errors/errors.ts";
import { downloadFile, hashFile, pullError } from "../download/download-file.ts";
import { defaultHuggingFaceEndpoint, resolveModelUri } from "../llamacpp/resolve-model-uri.ts";
import { inspectMoonfile } from "./inspect-moonfile.ts";

export interface PullMoonfileOptions {
  /** A path or file: URL, an http(s) URL, or hf:<user>/<repo>[@revision]/<file>, naming a .mf or .mf.gz. */
  source: string;
  /** Models directory the `<name>.mf` lands in. */
  directory: string;
  huggingFaceEndpoint?: string;
  /** Request headers for downloads (the Hugging Face token goes only to hf: sources). */
  headers?: Record<string, string>;
  /** The fetch for http(s) sources (the API passes its SSRF-guarded one). */
  fetch?: typeof fetch;
  onProgress?(receivedBytes: number, totalBytes: number | undefined): void;
  signal?: AbortSignal;
}

export interface PullMoonfileResult {
  path: string;
  modelName: string;
  sizeBytes: number;
  /** SHA-256 of the file as published (the .mf.gz when it was gzipped). */
  sha256: string;
  alreadyPresent: boolean;
}

const moonfilePattern = /\.mf(\.gz)?$/i;

/** Whether a pull source names a Moondream archive (`.mf`, or `.mf.gz` as Moondream publishes them). */
export function isMoonfileUri(source: string): boolean {
  const withoutQuery = /^https?:/i.test(source) ? source.replace(/[?#].*$/, "") : source;
  return moonfilePattern.test(withoutQuery);
}

/**
 * `station pull` of a Moondream `.mf`: downloads it (resumable, as every pull) or reads a local
 * file, unpacks `.mf.gz` (the Moondream client's published form) while copying, checks that the
 * result is a whole archive with every graph and a readable config.json, and only then renames
 * it into `<models>/<name>.mf`, so a half-written or foreign file is never discovered.
 */
export async function pullMoonfile(options: PullMoonfileOptions): Promise<PullMoonfileResult> {
  const source = options.source;
  const remote = /^(https?|hf):/i.test(source);
  const fileName = remote ? remoteFileName(source, options.huggingFaceEndpoint) : path.basename(localPath(source));
  const gzipped = fileName.toLowerCase().endsWith(".gz");
  const modelName = fileName.replace(moonfilePattern, "");
  if (modelName === "" || modelName.startsWith(".") || modelName.includes("..") || /[/\\]/.test(modelName)) {
    throw errors.invalidRequest(`'${source}' does not name a .mf file Station can save`, "model");
  }
  await mkdir(options.directory, { recursive: true });
  const target = path.join(options.directory, `${modelName}.mf`);
  const existing = await stat(target).catch(() => undefined);
  if (existing !== undefined) {
    await requireMoonfile(modelName, target);
    return { path: target, modelName, sizeBytes: existing.size, sha256: await hashFile(target), alreadyPresent: true };
  }

  let original: string;
  let sha256: string;
  if (remote) {
    const { url } = resolveModelUri(source, options.huggingFaceEndpoint ?? defaultHuggingFaceEndpoint, [".mf", ".mf.gz"]);
    // Hidden while it is not a checked .mf: discovery never sees it; a cut-off download resumes from its .partial.
    const downloaded = await downloadFile({
      url,
      target: path.join(options.directory, `.${fileName}`),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    original = downloaded.path;
    sha256 = downloaded.sha256;
  } else {
    original = localPath(source);
    const info = await stat(original).catch(() => undefined);
    if (info === undefined || !info.isFile()) throw errors.invalidRequest(`'${source}' is not a readable file`, "model");
    sha256 = await hashFile(original);
  }

  const partial = path.join(options.directory, `.${modelName}.mf.partial`);
  try {
    const total = (await stat(original)).size;
    let read = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        read += chunk.length;
        if (!remote) options.onProgress?.(read, total);
        callback(null, chunk);
      },
    });
    if (remote && !gzipped) await rename(original, partial);
    else if (gzipped)
      await pipeline(createReadStream(original), counter, createGunzip(), createWriteStream(partial), { signal: options.signal });
    else await pipeline(createReadStream(original), counter, createWriteStream(partial), { signal: options.signal });
    await requireMoonfile(modelName, partial);
  } catch (error) {
    await rm(partial, { force: true });
    // A whole download that is not a usable archive would only be served again as it is.
    if (remote && !options.signal?.aborted) await rm(original, { force: true });
    if (options.signal?.aborted || (error as { code?: string }).code === "pull_failed") throw error;
    throw pullError(`Cannot unpack ${source}: ${(error as Error).message}`, error);
  }
  await rename(partial, target);
  if (remote) await rm(original, { force: true });
  return { path: target, modelName, sizeBytes: (await stat(target)).size, sha256, alreadyPresent: false };
}

async function requireMoonfile(modelName: string, filePath: string): Promise<void> {
  const inspection = await inspectMoonfile(modelName, filePath);
  if (!inspection.ok) throw pullError(`not a usable Moondream .mf: ${inspection.error.message}`);
}

function remoteFileName(source: string, endpoint: string | undefined): string {
  return resolveModelUri(source, endpoint ?? defaultHuggingFaceEndpoint, [".mf", ".mf.gz"]).fileName;
}

function localPath(source: string): string {
  return path.resolve(source.startsWith("file:") ? fileURLToPath(source) : source);
}
