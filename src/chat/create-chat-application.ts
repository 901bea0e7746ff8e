import path from "node:path";
import type { AudioService } from "../audio/audio-service.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import { type ClientStore, createClientStore } from "../clients/client-store.ts";
import type { StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import { createMcpRegistry } from "../mcp/create-mcp-registry.ts";
import type { McpChangeFeed } from "../mcp/mcp-change-feed.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import { createMcpServerStore } from "../mcp/mcp-server-store.ts";
import type { McpServerDefinition } from "../mcp/mcp-types.ts";
import { createToolPreferencesStore, type ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { StationDatabase } from "../storage/database.ts";
import { createSuggestionStore, type SuggestionStore } from "../suggestions/suggestion-store.ts";
import type { BlobStore } from "../uploads/blob-store.ts";
import { createFileBlobStore } from "../uploads/create-file-blob-store.ts";
import { createUploadStore, type UploadStore } from "../uploads/upload-store.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import { type ChatOrchestrator, createChatOrchestrator } from "./chat-orchestrator.ts";
import { type ConversationStore, createConversationStore } from "./conversation-store.ts";
import { createInProcessSessionLock, type SessionLock } from "./session-lock.ts";

/** Everything behind the /api chat application: MCP tools, conversations, clients, uploads, suggestions. */
export interface ChatApplication {
  mcp: McpRegistry;
  orchestrator: ChatOrchestrator;
  conversations: ConversationStore;
  clients: ClientStore;
  toolPreferences: ToolPreferencesStore;
  uploads: UploadStore;
  suggestions: SuggestionStore;
  /** One turn at a time per chat session: chat turns and realtime sessions storing into a chat session both take it. */
  sessionLock: SessionLock;
  /** Connects the MCP servers (first attempt of each; retries continue in the background). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ChatApplicationOptions {
  config: StationConfig;
  database: StationDatabase;
  /** Shared mode: how often to pick up MCP servers added through other instances (a safety net with `mcpChanges`). */
  mcpSyncIntervalMs?: number;
  /** Shared mode: MCP server changes announced to and by every instance. */
  mcpChanges?: McpChangeFeed;
  /** One turn at a time per chat session (default: in this process). */
  sessionLock?: SessionLock;
  /** Where upload bytes go (default: files under <dataDir>/uploads). */
  blobs?: BlobStore;
  registry: ModelRegistry;
  chatCore: ChatCore;
  /** The one image intake: attachments reach models through it. */
  intake: Pick<ImageIntake, "fromBytes">;
  /** Voice turns: audio transcribed with the client's stt settings, replies spoken with its tts settings. */
  audio?: AudioService;
  logger: Logger;
  version: string;
  /** MCP servers defined in code (tests use in-memory ones). */
  mcpServers?: McpServerDefinition[];
}

/** Longest start-up waits for MCP servers' first connection attempts. */
const startupWaitMs = 10_000;

export function createChatApplication(options: ChatApplicationOptions): ChatApplication {
  const { config, database, logger } = options;
  const mcp = createMcpRegistry({
    config: config.mcp,
    allowPrivateNetworks: config.security.allowPrivateNetworks,
    store: createMcpServerStore(database),
    logger,
    clientInfo: { name: "station", version: options.version },
    servers: options.mcpServers ?? [],
    ...(options.mcpSyncIntervalMs === undefined ? {} : { syncIntervalMs: options.mcpSyncIntervalMs }),
    ...(options.mcpChanges === undefined ? {} : { changes: options.mcpChanges }),
  });
  const conversations = createConversationStore(database);
  const clients = createClientStore(database);
  const toolPreferences = createToolPreferencesStore(database);
  const uploads = createUploadStore({ database, blobs: options.blobs ?? createFileBlobStore(path.join(config.dataDir, "uploads")) });
  const sessionLock = options.sessionLock ?? createInProcessSessionLock();
  const orchestrator = createChatOrchestrator({
    config,
    registry: options.registry,
    chatCore: options.chatCore,
    mcp,
    conversations,
    clients,
    toolPreferences,
    uploads,
    intake: options.intake,
    ...(options.audio === undefined ? {} : { audio: options.audio }),
    logger,
    sessionLock,
  });
  return {
    mcp,
    orchestrator,
    sessionLock,
    conversations,
    clients,
    toolPreferences,
    uploads,
    suggestions: createSuggestionStore(database),
    async start() {
      // Start-up waits for each server's first attempt, but not for ever: a slow `npx` download
      // must not hold the whole server back. Attempts still running carry on in the background.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), startupWaitMs);
        timer.unref();
      });
      const outcome = await Promise.race([mcp.start().then(() => "ready" as const), waited]);
      clearTimeout(timer);
      if (outcome === "timeout") logger.warn({ waitedMs: startupWaitMs }, "some MCP servers are still connecting; starting without them");
    },
    close: () => mcp.close(),
  };
}
