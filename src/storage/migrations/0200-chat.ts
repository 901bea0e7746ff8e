import type { Kysely, Migration } from "kysely";
import { addSerialKey } from "./portable-ddl.ts";

/**
 * Conversations: one row per message, so appending or deleting a message never rewrites a
 * conversation. `seq` gives the order; generations record each /api/chat/stream turn's usage and cost.
 */
export const chatMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("chat_sessions")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("client_id", "text", (column) => column.notNull())
      .addColumn("title", "text")
      .addColumn("model", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .execute();
    await db.schema.createIndex("chat_sessions_by_update").on("chat_sessions").columns(["updated_at", "id"]).execute();
    await db.schema.createIndex("chat_sessions_by_client").on("chat_sessions").columns(["client_id", "updated_at"]).execute();
    await db.schema
      .createTable("chat_messages")
      .$call(addSerialKey(db, "seq"))
      .addColumn("id", "text", (column) => column.notNull().unique())
      .addColumn("session_id", "text", (column) => column.notNull().references("chat_sessions.id").onDelete("cascade"))
      .addColumn("role", "text", (column) => column.notNull())
      .addColumn("content", "text", (column) => column.notNull())
      .addColumn("tool_calls", "text")
      .addColumn("tool_call_id", "text")
      .addColumn("name", "text")
      .addColumn("attachments", "text")
      .addColumn("metadata", "text")
      .addColumn("generation_id", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .execute();
    await db.schema.createIndex("chat_messages_by_session").on("chat_messages").columns(["session_id", "seq"]).execute();
    await db.schema
      .createTable("chat_generations")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("session_id", "text", (column) => column.notNull())
      .addColumn("client_id", "text", (column) => column.notNull())
      .addColumn("model", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("finish_reason", "text")
      .addColumn("prompt_tokens", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("completion_tokens", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("total_tokens", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("cost_usd", "double precision")
      .addColumn("cost_source", "text")
      .addColumn("rounds", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("tool_calls", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("error", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("finished_at", "bigint")
      .execute();
    await db.schema.createIndex("chat_generations_by_session").on("chat_generations").column("session_id").execute();
  },
};
