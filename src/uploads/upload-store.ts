import { createHash } from "node:crypto";
import path from "node:path";
import { errors } from "../errors/errors.ts";
import type { StationDatabase } from "../storage/database.ts";
import type { BlobStore } from "./blob-store.ts";
import { sniffMediaType } from "./sniff-media-type.ts";

export interface UploadRecord {
  /** SHA-256 of the content, hex: the same bytes always get the same id. */
  id: string;
  media_type: string;
  size: number;
  filename: string | null;
  created_at: number;
}

export interface UploadStore {
  /** Stores bytes content-addressed in the blob store; uploading the same bytes twice stores them once. */
  save(bytes: Uint8Array, filename?: string): Promise<UploadRecord>;
  /** 404 upload_not_found for unknown ids. */
  get(id: string): Promise<UploadRecord>;
  read(id: string): Promise<{ record: UploadRecord; bytes: Buffer }>;
}

const idPattern = /^[a-f0-9]{64}$/;

export function createUploadStore(options: { database: StationDatabase; blobs: BlobStore; clock?: () => number }): UploadStore {
  const db = options.database;
  const clock = options.clock ?? Date.now;

  const store: UploadStore = {
    async save(bytes, filename) {
      if (bytes.length === 0) throw errors.invalidRequest("The uploaded file is empty", "file");
      const id = createHash("sha256").update(bytes).digest("hex");
      const existing = await db.selectFrom("uploads").selectAll().where("id", "=", id).executeTakeFirst();
      // Bytes before metadata: a crash in between leaves an unreferenced blob, never a record without content.
      await options.blobs.put(id, bytes);
      if (existing !== undefined) return existing;
      const record: UploadRecord = {
        id,
        media_type: sniffMediaType(bytes, filename),
        size: bytes.length,
        filename: cleanFilename(filename),
        created_at: clock(),
      };
      await db
        .insertInto("uploads")
        .values(record)
        .onConflict((conflict) => conflict.column("id").doNothing())
        .execute();
      return record;
    },
    async get(id) {
      const row = idPattern.test(id) ? await db.selectFrom("uploads").selectAll().where("id", "=", id).executeTakeFirst() : undefined;
      if (row === undefined) throw errors.notFound("Upload", id, "upload_not_found");
      return row;
    },
    async read(id) {
      const record = await store.get(id);
      const bytes = await options.blobs.get(id);
      if (bytes === undefined) throw errors.internal(`The content of upload '${id}' is missing from the blob store`);
      return { record, bytes };
    },
  };
  return store;
}

function cleanFilename(filename: string | undefined): string | null {
  if (filename === undefined) return null;
  const base = path
    .basename(filename.replaceAll("\\", "/"))
    .replace(/\p{Cc}/gu, "")
    .slice(0, 255);
  return base === "" ? null : base;
}
