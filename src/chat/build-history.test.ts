import { describe, expect, it } from "vitest";
import { buildHistory } from "./build-history.ts";
import type { StoredMessage } from "./conversation-store.ts";

const at = 1;
const noAttachments = async () => [];

describe("buildHistory", () => {
  it("keeps a complete tool exchange as it is", async () => {
    const stored: StoredMessage[] = [
      { id: "1", role: "user", content: "sum", created_at: at },
      { id: "2", role: "assistant", content: "", tool_calls: [{ id: "c1", name: "s__sum", arguments: "{}" }], created_at: at },
      { id: "3", role: "tool", content: "5", tool_call_id: "c1", name: "s__sum", created_at: at },
      { id: "4", role: "assistant", content: "It is 5", created_at: at },
    ];
    expect(await buildHistory(stored, noAttachments)).toEqual([
      { role: "user", content: "sum" },
      { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "s__sum", arguments: "{}" }] },
      { role: "tool", content: "5", toolCallId: "c1", name: "s__sum" },
      { role: "assistant", content: "It is 5" },
    ]);
  });

  it("drops the half of a tool exchange whose other half was deleted", async () => {
    const orphanResult: StoredMessage[] = [
      { id: "1", role: "user", content: "sum", created_at: at },
      { id: "3", role: "tool", content: "5", tool_call_id: "c1", created_at: at },
      { id: "4", role: "assistant", content: "It is 5", created_at: at },
    ];
    expect((await buildHistory(orphanResult, noAttachments)).map((message) => message.role)).toEqual(["user", "assistant"]);
    const unansweredCall: StoredMessage[] = [
      { id: "1", role: "user", content: "sum", created_at: at },
      {
        id: "2",
        role: "assistant",
        content: "Let me check",
        tool_calls: [
          { id: "c1", name: "s__sum", arguments: "{}" },
          { id: "c2", name: "s__sum", arguments: "{}" },
        ],
        created_at: at,
      },
      { id: "3", role: "tool", content: "5", tool_call_id: "c2", created_at: at },
    ];
    expect(await buildHistory(unansweredCall, noAttachments)).toEqual([
      { role: "user", content: "sum" },
      { role: "assistant", content: "Let me check", toolCalls: [{ id: "c2", name: "s__sum", arguments: "{}" }] },
      { role: "tool", content: "5", toolCallId: "c2" },
    ]);
  });
});
