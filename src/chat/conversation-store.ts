import { randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import { errors } from "../errors/errors.ts";
import type { ToolCall } from "../providers/spec/index.ts";
import type { StationDatabase } from "../storage/database.ts";
import type { ChatMessagesTable, ChatSessionsTable } from "../storage/station-tables.ts";

/** A chat session is its chat_sessions row: the store hands rows back whole. */
export type ChatSession = Selectable<ChatSessionsTable>;

export interface StoredAttachment {
  upload_id: string;
  media_type: string;
  filename: string | null;
  size: number;
}

export interface StoredMessage {
  id: string;
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
  attachments?: StoredAttachment[];
  metadata?: Record<string, unknown>;
  generation_id?: string;
  created_at: number;
}

export type NewMessage = Omit<StoredMessage, "id" | "created_at">;

export interface Generation {
  id: string;
  session_id: string;
  client_id: string;
  model: string;
  status: "running" | "completed" | "failed" | "cancelled";
  finish_reason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  cost: { total_usd: number; source: string } | null;
  rounds: number;
  tool_calls: number;
  error: string | null;
  created_at: number;
  finished_at: number | null;
  duration_ms: number | null;
}

export interface GenerationOutcome {
  status: Generation["status"];
  finishReason: string | null;
  usage: Generation["usage"];
  cost: Generation["cost"];
  rounds: number;
  toolCalls: number;
  error: string | null;
}

/** Conversations in the database, one row per message: appending or deleting a message never rewrites a conversation. */
export interface ConversationStore {
  createSession(input: { clientId: string; title: string | null; model: string | null }): Promise<ChatSession>;
  getSession(id: string): Promise<ChatSession | undefined>;
  listSessions(query: { clientId?: string; limit: number; offset: number }): Promise<{ sessions: ChatSession[]; total: number }>;
  deleteSession(id: string): Promise<void>;
  appendMessage(sessionId: string, message: NewMessage): Promise<StoredMessage>;
  listMessages(sessionId: string): Promise<StoredMessage[]>;
  /** 404 message_not_found when the message is not in that session. */
  deleteMessage(sessionId: string, messageId: string): Promise<void>;
  createGeneration(input: { sessionId: string; clientId: string; model: string }): Promise<string>;
  finishGeneration(id: string, outcome: GenerationOutcome): Promise<void>;
  getGeneration(id: string): Promise<Generation | undefined>;
}

export function createConversationStore(db: StationDatabase, clock: () => number = Date.now): ConversationStore {
  return {
    async createSession(input) {
      const now = clock();
      const session: ChatSession = {
        id: randomUUID(),
        client_id: input.clientId,
        title: input.title,
        model: input.model,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto("chat_sessions").values(session).execute();
      return session;
    },
    async getSession(id) {
      return db.selectFrom("chat_sessions").selectAll().where("id", "=", id).executeTakeFirst();
    },
    async listSessions(query) {
      let base = db.selectFrom("chat_sessions");
      if (query.clientId !== undefined) base = base.where("client_id", "=", query.clientId);
      const [sessions, count] = await Promise.all([
        base.selectAll().orderBy("updated_at", "desc").orderBy("id").limit(query.limit).offset(query.offset).execute(),
        base.select((eb) => eb.fn.countAll<number>().as("total")).executeTakeFirstOrThrow(),
      ]);
      return { sessions, total: Number(count.total) };
    },
    async deleteSession(id) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("chat_messages").where("session_id", "=", id).execute();
        await trx.deleteFrom("chat_sessions").where("id", "=", id).execute();
      });
    },
    async appendMessage(sessionId, message) {
      const stored: StoredMessage = { ...message, id: randomUUID(), created_at: clock() };
      // No transaction: the row is the truth and a stale updated_at is harmless; BEGIN/COMMIT would double the cost of every append.
      await db
        .insertInto("chat_messages")
        .values({
          id: stored.id,
          session_id: sessionId,
          role: stored.role,
          content: stored.content,
          tool_calls: json(stored.tool_calls),
          tool_call_id: stored.tool_call_id ?? null,
          name: stored.name ?? null,
          attachments: json(stored.attachments),
          metadata: json(stored.metadata),
          generation_id: stored.generation_id ?? null,
          created_at: stored.created_at,
        })
        .execute();
      await db.updateTable("chat_sessions").set({ updated_at: stored.created_at }).where("id", "=", sessionId).execute();
      return stored;
    },
    async listMessages(sessionId) {
      const rows = await db.selectFrom("chat_messages").selectAll().where("session_id", "=", sessionId).orderBy("seq").execute();
      return rows.map(toMessage);
    },
    async deleteMessage(sessionId, messageId) {
      const result = await db
        .deleteFrom("chat_messages")
        .where("session_id", "=", sessionId)
        .where("id", "=", messageId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw errors.notFound("Message", messageId, "message_not_found");
    },
    async createGeneration(input) {
      const id = `gen_${randomUUID().replaceAll("-", "")}`;
      await db
        .insertInto("chat_generations")
        .values({
          id,
          session_id: input.sessionId,
          client_id: input.clientId,
          model: input.model,
          status: "running",
          finish_reason: null,
          prompt_tokens: 0,
          completion_tokens: 0,
          total_tokens: 0,
          cost_usd: null,
          cost_source: null,
          rounds: 0,
          tool_calls: 0,
          error: null,
          created_at: clock(),
          finished_at: null,
        })
        .execute();
      return id;
    },
    async finishGeneration(id, outcome) {
      await db
        .updateTable("chat_generations")
        .set({
          status: outcome.status,
          finish_reason: outcome.finishReason,
          prompt_tokens: outcome.usage.prompt_tokens,
          completion_tokens: outcome.usage.completion_tokens,
          total_tokens: outcome.usage.total_tokens,
          cost_usd: outcome.cost?.total_usd ?? null,
          cost_source: outcome.cost?.source ?? null,
          rounds: outcome.rounds,
          tool_calls: outcome.toolCalls,
          error: outcome.error,
          finished_at: clock(),
        })
        .where("id", "=", id)
        .execute();
    },
    async getGeneration(id) {
      const row = await db.selectFrom("chat_generations").selectAll().where("id", "=", id).executeTakeFirst();
      if (row === undefined) return undefined;
      return {
        id: row.id,
        session_id: row.session_id,
        client_id: row.client_id,
        model: row.model,
        status: row.status as Generation["status"],
        finish_reason: row.finish_reason,
        usage: { prompt_tokens: row.prompt_tokens, completion_tokens: row.completion_tokens, total_tokens: row.total_tokens },
        cost: row.cost_usd === null ? null : { total_usd: row.cost_usd, source: row.cost_source ?? "unknown" },
        rounds: row.rounds,
        tool_calls: row.tool_calls,
        error: row.error,
        created_at: row.created_at,
        finished_at: row.finished_at,
        duration_ms: row.finished_at === null ? null : row.finished_at - row.created_at,
      };
    },
  };
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function toMessage(row: Omit<ChatMessagesTable, "seq">): StoredMessage {
  return {
    id: row.id,
    role: row.role as StoredMessage["role"],
    content: row.content,
    ...(row.tool_calls === null ? {} : { tool_calls: JSON.parse(row.tool_calls) as ToolCall[] }),
    ...(row.tool_call_id === null ? {} : { tool_call_id: row.tool_call_id }),
    ...(row.name === null ? {} : { name: row.name }),
    ...(row.attachments === null ? {} : { attachments: JSON.parse(row.attachments) as StoredAttachment[] }),
    ...(row.metadata === null ? {} : { metadata: JSON.parse(row.metadata) as Record<string, unknown> }),
    ...(row.generation_id === null ? {} : { generation_id: row.generation_id }),
    created_at: row.created_at,
  };
}
