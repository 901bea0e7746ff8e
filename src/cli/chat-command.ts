import { createInterface } from "node:readline/promises";
import { serverSentEvents } from "../providers/http/server-sent-events.ts";
import { type ConnectionFlags, connectToServer, type ServerConnection } from "./server-connection.ts";

export interface ChatFlags extends ConnectionFlags {
  model?: string;
  clientId: string;
  session?: string;
  preset?: string;
}

/**
 * `station chat [message]`: one turn (message given, or piped on stdin) or an interactive
 * conversation, through POST /api/chat/stream, so the server-side MCP tool loop runs too.
 */
export async function chatCommand(words: string[], flags: ChatFlags): Promise<void> {
  const connection = connectToServer(flags);
  let sessionId = flags.session;
  const message = words.join(" ").trim() || (process.stdin.isTTY ? "" : await readStdin());
  if (message.length > 0) {
    await runTurn(connection, flags, message, sessionId);
    return;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  process.stdout.write("Station chat: an empty line or Ctrl-D ends it.\n");
  try {
    for (;;) {
      const line = (await prompt.question("> ").catch(() => "")).trim();
      if (line.length === 0) break;
      sessionId = await runTurn(connection, flags, line, sessionId);
    }
  } finally {
    prompt.close();
  }
}

async function runTurn(
  connection: ServerConnection,
  flags: ChatFlags,
  message: string,
  sessionId: string | undefined,
): Promise<string | undefined> {
  const response = await connection.request(
    "POST",
    "/api/chat/stream",
    {
      client_id: flags.clientId,
      message,
      ...(sessionId === undefined ? {} : { session_id: sessionId }),
      ...(flags.model === undefined ? {} : { model: flags.model }),
      ...(flags.preset === undefined ? {} : { preset: flags.preset }),
    },
    "text/event-stream",
  );
  let currentSession = sessionId;
  for await (const event of serverSentEvents(response.body!)) {
    const data = JSON.parse(event.data) as Record<string, unknown>;
    switch (event.event) {
      case "session":
        currentSession = data.session_id as string;
        break;
      case "message.delta":
        process.stdout.write(data.content as string);
        break;
      case "tool_call.started":
        process.stderr.write(`\n[tool ${data.name as string} ${JSON.stringify(data.arguments)}]\n`);
        break;
      case "tool_call.error":
        process.stderr.write(`[tool ${data.name as string} failed: ${data.message as string}]\n`);
        break;
      case "done":
        process.stdout.write("\n");
        break;
      case "error":
        process.stdout.write("\n");
        throw new Error(`${data.code as string}: ${data.message as string}`);
    }
  }
  return currentSession;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}
