import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { StationError } from "../../errors/station-error.ts";

export interface DownloadFileOptions {
  url: string;
  /** Where the file lands; it is written to "<target>.partial" until complete and checked. */
  target: string;
  /** Expected SHA-256 (hex); the download is refused if it differs. */
  sha256?: string;
  /** Expected size in bytes (e.g. from a repository listing), checked besides Content-Length. */
  sizeBytes?: number;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  onProgress?(receivedBytes: number, totalBytes: number | undefined): void;
  /** Checks the complete partial file; a returned reason deletes it and fails the download. */
  validate?(partialPath: string): Promise<string | undefined>;
  signal?: AbortSignal;
}

export interface DownloadFileResult {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** Bytes that were already on disk from an earlier, interrupted attempt. */
  resumedFromBytes: number;
  alreadyPresent: boolean;
}

export function pullError(message: string, cause?: unknown): StationError {
  return new StationError({ code: "pull_failed", status: 502, message, cause, isRetryable: true });
}

/**
 * Downloads one file: into "<file>.partial" first, resuming it with an HTTP Range request when a
 * previous attempt was cut off, then checks size, SHA-256 and the caller's validation before
 * renaming it into place, so a half-written file is never served. GGUF pulls and Hugging Face
 * repository pulls both go through here.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadFileResult> {
  const { url, target } = options;
  const partial = `${target}.partial`;
  const expected = options.sha256?.toLowerCase();
  await mkdir(path.dirname(target), { recursive: true });

  const existing = await sizeOf(target);
  if (existing !== undefined) {
    const sha256 = await hashFile(target);
    if (expected !== undefined && sha256 !== expected) {
      throw pullError(`${target} already exists but its SHA-256 is ${sha256}, not ${expected}. Delete it and pull again.`);
    }
    return { path: target, sizeBytes: existing, sha256, resumedFromBytes: 0, alreadyPresent: true };
  }

  let offset = (await sizeOf(partial)) ?? 0;
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { ...options.headers, ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
      redirect: "follow",
      signal: options.signal,
    });
  } catch (error) {
    throw pullError(`Cannot reach ${url}: ${(error as Error).message}`, error);
  }
  if (response.status === 416 && offset > 0) {
    // The partial file already holds every byte.
    await response.body?.cancel();
  } else if (!response.ok) {
    await response.body?.cancel();
    const hint =
      response.status === 401 || response.status === 403
        ? " (a gated or private repository? Set HF_TOKEN, or huggingFace.token in the config, to a Hugging Face access token)"
        : "";
    throw pullError(`Download failed: ${url} answered HTTP ${response.status}${hint}`);
  }
  let total: number | undefined;
  if (response.status === 206) {
    total = Number(/\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "")?.[1] ?? Number.NaN);
    if (!Number.isFinite(total)) total = undefined;
  } else if (response.status === 200) {
    offset = 0; // The server ignored the Range header: start over.
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    total = Number.isFinite(length) ? length : undefined;
  }
  const resumedFromBytes = offset;

  if (response.status !== 416 && response.body !== null) {
    let received = offset;
    options.onProgress?.(received, total);
    // Written chunk by chunk (not piped) so every byte received before a cut-off stays on disk for the resume.
    const file = await open(partial, offset > 0 ? "a" : "w");
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await file.write(chunk);
        received += chunk.length;
        options.onProgress?.(received, total);
      }
    } catch (error) {
      throw pullError(`Download of ${url} was interrupted after ${received} bytes; run the same pull again to resume.`, error);
    } finally {
      await file.close();
    }
  }

  const sizeBytes = (await sizeOf(partial)) ?? 0;
  if (options.sizeBytes !== undefined && total !== undefined && total !== options.sizeBytes) {
    await rm(partial, { force: true });
    throw pullError(`${url} is ${total} bytes, but the repository lists ${options.sizeBytes}. The partial file was deleted.`);
  }
  if (total !== undefined && sizeBytes !== total) {
    throw pullError(`Download of ${url} is incomplete (${sizeBytes} of ${total} bytes); run the same pull again to resume.`);
  }
  const sha256 = await hashFile(partial);
  if (expected !== undefined && sha256 !== expected) {
    await rm(partial, { force: true });
    throw pullError(`SHA-256 mismatch for ${url}: expected ${expected}, got ${sha256}. The partial file was deleted.`);
  }
  const invalid = await options.validate?.(partial);
  if (invalid !== undefined) {
    await rm(partial, { force: true });
    throw pullError(`${url} is not usable: ${invalid}`);
  }
  await rename(partial, target);
  return { path: target, sizeBytes, sha256, resumedFromBytes, alreadyPresent: false };
}

async function sizeOf(filePath: string): Promise<number | undefined> {
  try {
    return (await stat(filePath)).size;
  } catch {
    return undefined;
  }
}

export async function hashFile(filePath: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(filePath), hash);
  return hash.digest("hex");
}
