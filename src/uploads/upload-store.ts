import { createHash, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import { errors } from "../errors/errors.ts";
import { sniffMediaType } from "./sniff-media-type.ts";

interface UploadsTable {
  id: string;
  media_type: string;
  size: number;
  filename: string | null;
  created_at: number;
}

export interface UploadRecord {
  /** SHA-256 of the content, hex: the same bytes always get the same id. */
  id: string;
  media_type: string;
  size: number;
  filename: string | null;
  created_at: number;
}

export interface UploadStore {
  /** Stores bytes content-addressed under <dataDir>/uploads; uploading the same bytes twice stores them once. */
  save(bytes: Uint8Array, filename?: string): Promise<UploadRecord>;
  /** 404 upload_not_found for unknown ids. */
  get(id: string): Promise<UploadRecord>;
  read(id: string): Promise<{ record: UploadRecord; bytes: Buffer }>;
  /** Where the bytes of an upload live. */
  pathOf(id: string): string;
}

const idPattern = /^[a-f0-9]{64}$/;

export function createUploadStore(options: { database: Kysely<unknown>; dataDir: string; clock?: () => number }): UploadStore {
  const db = options.database as unknown as Kysely<{ uploads: UploadsTable }>;
  const root = path.join(options.dataDir, "uploads");
  const clock = options.clock ?? Date.now;
  const pathOf = (id: string) => path.join(root, id.slice(0, 2), id);

  const store: UploadStore = {
    pathOf,
    async save(bytes, filename) {
      if (bytes.length === 0) throw errors.invalidRequest("The uploaded file is empty", "file");
      const id = createHash("sha256").update(bytes).digest("hex");
      const existing = await db.selectFrom("uploads").selectAll().where("id", "=", id).executeTakeFirst();
      const file = pathOf(id);
      const onDisk = await stat(file).then(
        (info) => info.size === bytes.length,
        () => false,
      );
      if (!onDisk) {
        mkdirSync(path.dirname(file), { recursive: true });
        // Write then rename: a crash mid-write never leaves a truncated file under a valid id.
        const temporary = `${file}.${randomUUID()}.partial`;
        await writeFile(temporary, bytes);
        await rename(temporary, file);
      }
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
      try {
        return { record, bytes: await readFile(pathOf(id)) };
      } catch (error) {
        throw errors.internal(`The content of upload '${id}' is missing from the data directory`, error);
      }
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
