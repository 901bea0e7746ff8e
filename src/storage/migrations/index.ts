import type { Migration } from "kysely";
import { coreMigration } from "./0001-core.ts";
import { jobsMigration } from "./0100-jobs.ts";
import { chatMigration } from "./0200-chat.ts";
import { clientsMigration } from "./0201-clients.ts";
import { mcpUploadsMigration } from "./0202-mcp-uploads.ts";
import { uploadBlobsMigration } from "./0203-upload-blobs.ts";
import { modelAliasesMigration } from "./0300-model-aliases.ts";
import { responsesMigration } from "./0700-responses.ts";

/**
 * Every schema migration, by name; names sort in the order they run. Each feature owns a
 * range: 0001-0099 core, 0100-0199 jobs, 0200-0299 chat, 0300-0399 models,
 * 0700-0799 responses (the Responses API's stored responses).
 * Never edit a migration that has shipped: add a new one. Every migration runs on SQLite and
 * PostgreSQL: write it with Kysely's schema builder and the helpers in portable-ddl.ts.
 */
export const migrations: Record<string, Migration> = {
  "0001-core": coreMigration,
  "0100-jobs": jobsMigration,
  "0200-chat": chatMigration,
  "0201-clients": clientsMigration,
  "0202-mcp-uploads": mcpUploadsMigration,
  "0203-upload-blobs": uploadBlobsMigration,
  "0300-model-aliases": modelAliasesMigration,
  "0700-responses": responsesMigration,
};
