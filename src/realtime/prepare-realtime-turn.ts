import type { ImageReader } from "../chat/read-images-for-blind-model.ts";
import { StationError } from "../errors/station-error.ts";
import { allowedToolDefinitions } from "../mcp/allowed-tool-definitions.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import { defaultToolPreferences } from "../mcp/tool-preferences.ts";
import type { ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ChatMessage, ChatModel, ContentPart, ToolDefinition } from "../providers/spec/index.ts";
import type { PreparedImage } from "../vision/prepared-image.ts";
import { resolveChatModel } from "./resolve-chat-model.ts";
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
  registry: ModelRegistry;
  mcp: McpRegistry;
  toolPreferences: ToolPreferencesStore;
  readImagesForBlindModel: ImageReader;
  settings: SessionSettings;
  /** The session's model, or the default one; undefined when there is none at all. */
  modelId: string | undefined;
  history: ChatMessage[];
  text: string;
  frames: PreparedImage[];
  signal: AbortSignal;
}

/**
 * Everything a response needs before the first model call: the model (checked), the frames as
 * it can take them (images, or OCR text for a model that cannot see), the MCP tools the
 * client's preferences allow, and the messages: system prompt, history, the new user turn.
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
  const resolved = await resolveChatModel(options.registry, options.modelId);
  let images: ContentPart[] = options.frames.map((frame) => frame.part);
  if (!resolved.canSee) images = await options.readImagesForBlindModel(images, options.signal);
  const model: ChatModel = options.registry.chatModel(resolved.id);
  return {
    model,
    messages: [
      ...(settings.instructions === "" ? [] : [{ role: "system" as const, content: settings.instructions }]),
      ...options.history,
      { role: "user", content: images.length === 0 ? options.text : [{ type: "text", text: options.text }, ...images] },
    ],
    tools: settings.tools ? await offeredTools(options) : [],
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
