/**
 * The station the realtime tests talk to: a scripted model that sees images ("fake/scripted"),
 * one that does not ("blind/text-only"), and an in-memory MCP server "calc" with a tool that
 * works and one that fails. The script reads the last user message:
 *
 *   "sum A and B"   → calls calc__add, then answers "The sum is <result>."
 *   "break it"      → calls calc__explode (which throws), then answers with what it read
 *   "hang"          → streams a little text, then waits until aborted
 *   "fail upstream" → the model call fails with an upstream 502
 *   anything else   → "You said: <text>" (images show as "[image <type>]")
 */
import { z } from "zod";
import { UpstreamError } from "../../src/errors/upstream-error.ts";
import type { ChatRequest, ModelInfo } from "../../src/providers/spec/index.ts";
import { createScriptedChatProvider, lastMessage, type ScriptedReply, textOf } from "../support/chat-scripted-provider.ts";
import { createInMemoryMcpServer } from "../support/mcp-in-memory-server.ts";

export function script(request: ChatRequest): ScriptedReply {
  const last = lastMessage(request);
  if (last?.role === "tool") return { text: `The tool said: ${textOf(last)}.` };
  const text = textOf(last);
  const sum = /^sum (\d+) and (\d+)/.exec(text);
  if (sum !== null) return { toolCalls: [{ name: "calc__add", arguments: { a: Number(sum[1]), b: Number(sum[2]) } }] };
  if (text.startsWith("break it")) return { toolCalls: [{ name: "calc__explode", arguments: {} }] };
  if (text.startsWith("hang")) return { text: "Let me think", hangAfterText: true };
  if (text.startsWith("fail upstream")) {
    return {
      error: new UpstreamError({ message: "The upstream answered HTTP 502", provider: "fake", statusCode: 502, isRetryable: false }),
    };
  }
  return { text: `You said: ${text}` };
}

export function createRealtimeFixture() {
  const provider = createScriptedChatProvider("fake", script);
  const blindBase = createScriptedChatProvider("blind", script, ["text-only"]);
  const blind = {
    ...blindBase,
    async listModels(): Promise<ModelInfo[]> {
      return (await blindBase.listModels()).map((model) => ({ ...model, capabilities: ["chat", "tools"] }));
    },
  };
  const calc = createInMemoryMcpServer("calc", (server) => {
    server.registerTool("add", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) }],
    }));
    server.registerTool("explode", { description: "Always fails" }, async () => {
      throw new Error("the calculator is on fire");
    });
  });
  return { provider, blind: blind as typeof blindBase, blindBase, calc };
}
