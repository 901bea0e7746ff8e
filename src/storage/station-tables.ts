import type { Generated } from "kysely";

/**
 * Every table Station stores, as Kysely sees it: one database type for all stores, on SQLite
 * and PostgreSQL alike. Epoch-millisecond columns are BIGINT in the schema and numbers here
 * (the PostgreSQL pool parses int8 as a number: epoch ms stay far below 2^53). Booleans are
 * 0/1 integers and JSON is text, so a row reads the same on both dialects.
 */
export interface StationTables {
  meta: MetaTable;
  jobs: JobsTable;
  job_payloads: JobPayloadsTable;
  webhook_attempts: WebhookAttemptsTable;
  chat_sessions: ChatSessionsTable;
  chat_messages: ChatMessagesTable;
  chat_generations: ChatGenerationsTable;
  clients: ClientsTable;
  client_settings: ClientSettingsTable;
  client_presets: ClientPresetsTable;
  suggestions: SuggestionsTable;
  mcp_servers: McpServersTable;
  mcp_preferences: McpPreferencesTable;
  uploads: UploadsTable;
  upload_blobs: UploadBlobsTable;
  responses: ResponsesTable;
  model_aliases: ModelAliasesTable;
}

export interface MetaTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface JobsTable {
  id: string;
  queue: string;
  status: "queued" | "running" | "completed" | "failed" | "cancelled";
  result: string | null;
  error: string | null;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  parent_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface JobPayloadsTable {
  job_id: string;
  payload: string;
}

export interface WebhookAttemptsTable {
  job_id: string;
  delivery_id: string;
  attempt: number;
  url: string;
  attempted_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  ok: number;
}

export interface ChatSessionsTable {
  id: string;
  client_id: string;
  title: string | null;
  model: string | null;
  created_at: number;
  updated_at: number;
}

export interface ChatMessagesTable {
  seq: Generated<number>;
  id: string;
  session_id: string;
  role: string;
  content: string;
  tool_calls: string | null;
  tool_call_id: string | null;
  name: string | null;
  attachments: string | null;
  metadata: string | null;
  generation_id: string | null;
  created_at: number;
}

export interface ChatGenerationsTable {
  id: string;
  session_id: string;
  client_id: string;
  model: string;
  status: string;
  finish_reason: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number | null;
  cost_source: string | null;
  rounds: number;
  tool_calls: number;
  error: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface ClientsTable {
  client_id: string;
  active_preset: string | null;
  created_at: number;
  updated_at: number;
}

export interface ClientSettingsTable {
  client_id: string;
  section: string;
  data: string;
  updated_at: number;
}

export interface ClientPresetsTable {
  seq: Generated<number>;
  client_id: string;
  name: string;
  description: string | null;
  data: string;
  created_at: number;
}

export interface SuggestionsTable {
  seq: Generated<number>;
  id: string;
  client_id: string | null;
  title: string | null;
  content: string;
  created_at: number;
  updated_at: number;
}

export interface McpServersTable {
  id: string;
  source: string;
  url: string | null;
  headers: string | null;
  enabled: number | null;
  created_at: number;
  updated_at: number;
}

export interface McpPreferencesTable {
  client_id: string;
  data: string;
  updated_at: number;
}

export interface UploadsTable {
  id: string;
  media_type: string;
  size: number;
  filename: string | null;
  created_at: number;
}

/** Upload bytes, in shared mode only (SQLite keeps them as files in the data dir). */
export interface UploadBlobsTable {
  id: string;
  content: Uint8Array;
}

/** Stored responses of the Responses API (`store`, `previous_response_id`). */
export interface ResponsesTable {
  id: string;
  previous_response_id: string | null;
  input_items: string;
  response: string;
  created_at: number;
}

/** Other names for models (Ollama's `/api/copy`). */
export interface ModelAliasesTable {
  alias: string;
  model_id: string;
  created_at: number;
}
