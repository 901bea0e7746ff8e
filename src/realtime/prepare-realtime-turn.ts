import type { ChatCore } from "../chat-core/create-chat-core.ts";
import { createCoreChatModel } from "../chat-core/create-core-chat-model.ts";
import { StationError } from "../errors/station-error.ts";
import { allowedToolDefinitions } from "../mcp/allowed-tool-definitions.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import { defaultToolPreferences } from "../mcp/tool-preferences.ts";
import type { ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ChatMessage, ContentPart, ToolDefinition } from "../providers/spec/index.ts";
import type { PreparedImage } from "../vision/prepared-image.ts";
import type { RealtimeTurn } from "./run-realtime-turn.ts";

/** What a client set with session.update. */
export interface SessionSettings {
  model: string | undefined;
  instructions: string;
  tools: boolean;
  clientId: string | null;
  temperature: number | null;
  maxTokens: number | null;
}

export interface PrepareRealtimeTurnOptions {
  chatCore: ChatCore;
  mcp: McpRegistry;
  toolPreferences: ToolPreferencesStore;
  settings: SessionSettings;
  /** The session's model, or the default one; undefined when there is none at all. */
  modelId: string | undefined;
  history: ChatMessage[];
  text: string;
  frames: PreparedImage[];
  signal: AbortSignal;
}

/** How realtime names the fields the chat core's errors point at; the MCP tools are Station's. */
const callSettings = { params: { model: "session.model", messages: "image" }, stationTools: true };

/**
 * Everything a response needs before the first model call: the model, the MCP tools the client's
 * preferences allow, and the messages: system prompt, history, the new user turn with its frames.
 * The chat core checks it all first (a model that cannot see gets the frames read by OCR, or the
 * turn fails with model_cannot_see_images) and serves every round.
 */
export async function prepareRealtimeTurn(
  options: PrepareRealtimeTurnOptions,
): Promise<Pick<RealtimeTurn, "model" | "messages" | "tools" | "parameters">> {
  const { settings } = options;
  if (options.modelId === undefined) {
    throw new StationError({
      code: "no_chat_model",
      status: 400,
      param: "session.model",
      message: "No chat model is available: name one with session.update, or set defaults.chatModel in the config",
    });
  }
  const images: ContentPart[] = options.frames.map((frame) => frame.part);
  const messages: ChatMessage[] = [
    ...(settings.instructions === "" ? [] : [{ role: "system" as const, content: settings.instructions }]),
    ...options.history,
    { role: "user", content: images.length === 0 ? options.text : [{ type: "text", text: options.text }, ...images] },
  ];
  const tools = settings.tools ? await offeredTools(options) : [];
  const { id } = await options.chatCore.check({ model: options.modelId, messages, tools, ...callSettings }, options.signal);
  return {
    model: createCoreChatModel(options.chatCore, id, callSettings),
    messages,
    tools,
    parameters: {
      ...(settings.temperature === null ? {} : { temperature: settings.temperature }),
      ...(settings.maxTokens === null ? {} : { maxTokens: settings.maxTokens }),
    },
  };
}

async function offeredTools(options: PrepareRealtimeTurnOptions): Promise<ToolDefinition[]> {
  const { clientId } = options.settings;
  const preferences = clientId === null ? defaultToolPreferences : await options.toolPreferences.get(clientId);
  return allowedToolDefinitions(options.mcp, preferences);
}
