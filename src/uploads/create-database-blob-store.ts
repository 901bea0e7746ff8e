import type { StationDatabase } from "../storage/database.ts";
import type { BlobStore } from "./blob-store.ts";

/**
 * Upload bytes in the `upload_blobs` table (PostgreSQL bytea in shared mode). Chosen over a
 * shared directory because every instance already reaches the database, and the bytes then
 * share its transactions, backups and access control: no NFS mount to provision, no file
 * that one instance wrote and another cannot see yet. Uploads are capped (uploads.maxBytes,
 * 20 MiB by default), well within what bytea handles.
 */
export function createDatabaseBlobStore(db: StationDatabase): BlobStore {
  return {
    async put(id, bytes) {
      await db
        .insertInto("upload_blobs")
        .values({ id, content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })
        .onConflict((conflict) => conflict.column("id").doNothing())
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom("upload_blobs").select("content").where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : Buffer.from(row.content);
    },
  };
}
