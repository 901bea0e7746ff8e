/**
 * The typed events of POST /api/chat/stream, in wire form (snake_case, as the SSE `data:` JSON).
 * Order: one `session`, then the `transcript`s of a voice turn, then any `message.delta` /
 * `tool_call.*` / `usage` (and `audio` pieces of a spoken reply), then `audio.done` when spoken,
 * then exactly one `done` or `error`.
 */
export interface UsageData {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type ChatEvent =
  | { type: "session"; data: { session_id: string; generation_id: string; user_message_id: string; model: string; created: boolean } }
  | { type: "message.delta"; data: { content: string; round: number } }
  | {
      type: "tool_call.started";
      data: { id: string; name: string; server: string | null; tool: string | null; arguments: unknown; round: number };
    }
  | {
      type: "tool_call.result";
      data: { id: string; name: string; content: string; truncated: boolean; duration_ms: number; message_id: string };
    }
  | {
      type: "tool_call.error";
      data: { id: string; name: string; code: string; message: string; duration_ms: number; message_id: string };
    }
  | { type: "usage"; data: UsageData & { round: number; total: UsageData } }
  /** A voice turn: what the audio said, transcribed with the client's stt settings (before any model text). */
  | { type: "transcript"; data: { text: string; model: string; duration_seconds: number; source: string } }
  /** A spoken reply (`speak: true`): one complete audio file per piece of the reply, in order. */
  | { type: "audio"; data: { index: number; text: string; format: string; content_type: string; audio: string } }
  | { type: "audio.error"; data: { index: number; code: string; message: string } }
  | { type: "audio.done"; data: { pieces: number; model: string; format: string } }
  | {
      type: "done";
      data: {
        session_id: string;
        generation_id: string;
        message_id: string | null;
        content: string;
        finish_reason: string;
        rounds: number;
        tool_calls: number;
        usage: UsageData;
        cost_usd: number | null;
      };
    }
  | { type: "error"; data: { code: string; message: string; session_id: string; generation_id: string } };
