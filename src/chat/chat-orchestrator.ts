import type { AudioService } from "../audio/audio-service.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import { createCoreChatModel } from "../chat-core/create-core-chat-model.ts";
import type { ClientStore } from "../clients/client-store.ts";
import type { StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import { isStationError, StationError } from "../errors/station-error.ts";
import type { Logger } from "../logging/create-logger.ts";
import { allowedToolDefinitions } from "../mcp/allowed-tool-definitions.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import type { ToolCallOutcome } from "../mcp/mcp-types.ts";
import type { ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ChatMessage, ChatModel, ContentPart, ToolDefinition } from "../providers/spec/index.ts";
import type { UploadStore } from "../uploads/upload-store.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import { buildHistory } from "./build-history.ts";
import type { ChatEvent } from "./chat-event.ts";
import { computeCost } from "./compute-cost.ts";
import type { ChatSession, ConversationStore, StoredAttachment } from "./conversation-store.ts";
import { createReplySpeaker, type ReplySpeech } from "./create-reply-speaker.ts";
import { loadAttachmentParts } from "./load-attachment-parts.ts";
import { runToolLoop, type ToolLoopResult } from "./run-tool-loop.ts";
import { createInProcessSessionLock, type SessionLock } from "./session-lock.ts";
import { transcribeVoiceInput, type VoiceInput, type VoiceTranscript } from "./transcribe-voice-input.ts";

export interface ChatTurnRequest {
  client_id: string;
  session_id?: string | undefined;
  /** The user's words; may be left out when the turn is spoken (`audio`, or an audio attachment). */
  message?: string | undefined;
  /** Upload ids (from POST /api/uploads); audio uploads are transcribed into the message. */
  attachments?: string[] | undefined;
  /** Audio sent with the turn (base64 of a file: WAV, MP3, OGG, ...), transcribed into the message. */
  audio?: { data: string } | undefined;
  /** Speak the reply with the client's tts settings (`audio` events). */
  speak?: boolean | undefined;
  model?: string | undefined;
  preset?: string | undefined;
}

/** A turn that passed every check: nothing has been written yet. */
export interface PreparedTurn {
  request: ChatTurnRequest;
  /** The user's message as the model reads it: the typed words, then what the turn's audio said. */
  message: string;
  transcripts: VoiceTranscript[];
  /** How to speak the reply, when asked to. */
  speech: ReplySpeech | undefined;
  session: ChatSession | undefined;
  modelId: string;
  model: ChatModel;
  systemPrompt: string;
  parameters: Parameters<typeof runToolLoop>[0]["parameters"];
  maxToolRounds: number;
  tools: ToolDefinition[];
  attachments: StoredAttachment[];
  attachmentParts: ContentPart[];
  /** Loads stored attachments as parts (the chat core reads images as text for a model that cannot see). */
  loadParts(attachments: StoredAttachment[]): Promise<ContentPart[]>;
}

export interface ChatOrchestrator {
  /** Validates a turn (client, session, preset, model, attachments) and throws a 4xx StationError before anything is written. */
  prepare(request: ChatTurnRequest): Promise<PreparedTurn>;
  /** Runs the turn, persisting every message as it happens. Ends with one `done` or `error` event (none once `signal` aborted). */
  run(turn: PreparedTurn, signal: AbortSignal): AsyncGenerator<ChatEvent>;
}

export interface ChatOrchestratorOptions {
  config: StationConfig;
  registry: ModelRegistry;
  /** Every model call goes through the chat core (resolution, capability checks, images, resilience). */
  chatCore: ChatCore;
  mcp: McpRegistry;
  conversations: ConversationStore;
  clients: ClientStore;
  toolPreferences: ToolPreferencesStore;
  uploads: UploadStore;
  intake: Pick<ImageIntake, "fromBytes">;
  /** Speech to text and text to speech for voice turns (none: audio in a turn is a 400). */
  audio?: AudioService;
  logger: Logger;
  /** One turn at a time per session (default: in this process; shared mode: across instances). */
  sessionLock?: SessionLock;
}

export function createChatOrchestrator(options: ChatOrchestratorOptions): ChatOrchestrator {
  const { config, conversations, logger } = options;
  // Sessions with a turn in progress: a second turn at once would interleave both turns' messages.
  const sessionLock = options.sessionLock ?? createInProcessSessionLock();

  const pickModelId = (requested: string | null | undefined): string => {
    const id = requested ?? config.defaults.chatModel ?? options.registry.list().find((model) => model.capabilities.includes("chat"))?.id;
    if (id === undefined) {
      throw new StationError({
        code: "no_chat_model",
        status: 400,
        param: "model",
        message: "No chat model is available: name one in 'model', set the client's llm.model, or set defaults.chatModel in the config.",
      });
    }
    return id;
  };

  /** The client's tts settings as a speech call: `tts.provider` names the speech model (else the default one). */
  const pickSpeech = async (tts: Awaited<ReturnType<ClientStore["get"]>>["tts"]): Promise<ReplySpeech> => {
    const model = tts.provider ?? options.audio?.defaultModel("speak");
    if (model === undefined || options.audio === undefined)
      throw new StationError({
        code: "no_speech_model",
        status: 400,
        param: "speak",
        message: "No text-to-speech model is available: set the client's tts.provider to one, or defaults.speechModel",
      });
    const resolved = await options.registry.resolve(model);
    return {
      model: resolved.info?.id ?? resolved.id,
      voice: tts.voice === "default" ? undefined : tts.voice,
      speed: tts.speed === 1 ? undefined : tts.speed,
      format: tts.format,
    };
  };

  return {
    async prepare(request) {
      const llm = await options.clients.effectiveLlm(request.client_id, request.preset);
      let session: ChatSession | undefined;
      if (request.session_id !== undefined) {
        session = await conversations.getSession(request.session_id);
        // Another client's session reads as missing: ids must not leak across clients.
        if (session === undefined || session.client_id !== request.client_id)
          throw errors.notFound("Session", request.session_id, "session_not_found");
        if (await sessionLock.isBusy(session.id)) throw sessionBusy();
      }
      const attachments: StoredAttachment[] = [];
      const voiceInputs: VoiceInput[] = [];
      for (const id of request.attachments ?? []) {
        const record = await options.uploads.get(id).catch((error: unknown) => {
          throw isStationError(error) && error.status === 404
            ? new StationError({ code: "upload_not_found", status: 400, param: "attachments", message: error.message })
            : error;
        });
        attachments.push({ upload_id: record.id, media_type: record.media_type, filename: record.filename, size: record.size });
        if (record.media_type.startsWith("audio/"))
          voiceInputs.push({
            data: (await options.uploads.read(record.id)).bytes,
            fileName: record.filename ?? undefined,
            param: "attachments",
          });
      }
      if (request.audio !== undefined) voiceInputs.push({ data: decodeBase64Audio(request.audio.data), param: "audio" });
      const client = voiceInputs.length > 0 || request.speak === true ? await options.clients.get(request.client_id) : undefined;
      const transcripts = client === undefined ? [] : await transcribeVoiceInput(voiceInputs, client.stt, options.audio);
      const message = [request.message ?? "", ...transcripts.map((transcript) => transcript.text)]
        .filter((text) => text.trim() !== "")
        .join("\n\n");
      if (message === "")
        throw errors.invalidRequest(
          voiceInputs.length > 0
            ? "The audio holds no words the speech-to-text model could hear, and there is no message"
            : "message must not be empty",
          voiceInputs.length > 0 ? "audio" : "message",
        );
      const speech = request.speak === true && client !== undefined ? await pickSpeech(client.tts) : undefined;
      const loadParts = (stored: StoredAttachment[]) => loadAttachmentParts(stored, options.uploads, options.intake);
      const attachmentParts = await loadParts(attachments);
      const preferences = await options.toolPreferences.get(request.client_id);
      const tools = allowedToolDefinitions(options.mcp, preferences);
      // The chat core checks the turn as it will make it (404 for an unknown name before any stream,
      // bare names and routes accepted, images a model cannot see read by OCR or refused with a 400).
      const settings = { params: { messages: "attachments" }, stationTools: true };
      const { id: modelId } = await options.chatCore.check({
        model: pickModelId(request.model ?? llm.model),
        messages: [{ role: "user", content: [{ type: "text", text: message }, ...attachmentParts] }],
        tools,
        ...settings,
      });
      const model = createCoreChatModel(options.chatCore, modelId, settings);
      return {
        request,
        message,
        transcripts,
        speech,
        session,
        modelId,
        model,
        systemPrompt: llm.system_prompt,
        parameters: {
          ...(llm.temperature === null ? {} : { temperature: llm.temperature }),
          ...(llm.top_p === null ? {} : { topP: llm.top_p }),
          ...(llm.max_tokens === null ? {} : { maxTokens: llm.max_tokens }),
          ...(llm.presence_penalty === null ? {} : { presencePenalty: llm.presence_penalty }),
          ...(llm.frequency_penalty === null ? {} : { frequencyPenalty: llm.frequency_penalty }),
          ...(llm.seed === null ? {} : { seed: llm.seed }),
          ...(llm.stop.length === 0 ? {} : { stop: llm.stop }),
        },
        maxToolRounds: llm.max_tool_rounds ?? config.chat.maxToolRounds,
        tools,
        attachments,
        attachmentParts,
        loadParts,
      };
    },

    async *run(turn, signal) {
      let release: (() => Promise<void>) | undefined;
      try {
        yield* runTurn(turn, signal, async (sessionId) => {
          release = await sessionLock.acquire(sessionId);
          // Another instance's turn took it between prepare's check and now.
          if (release === undefined) throw sessionBusy();
        });
      } finally {
        await release?.();
      }
    },
  };

  async function* runTurn(turn: PreparedTurn, signal: AbortSignal, lock: (sessionId: string) => Promise<void>): AsyncGenerator<ChatEvent> {
    const { request } = turn;
    const created = turn.session === undefined;
    const session =
      turn.session ??
      (await conversations.createSession({ clientId: request.client_id, title: titleOf(turn.message), model: turn.modelId }));
    await lock(session.id);
    const stored = await conversations.listMessages(session.id);
    const history = await buildHistory(stored, turn.loadParts);
    const userMessage = await conversations.appendMessage(session.id, {
      role: "user",
      content: turn.message,
      ...(turn.attachments.length === 0 ? {} : { attachments: turn.attachments }),
      ...(turn.transcripts.length === 0 ? {} : { metadata: { transcripts: turn.transcripts } }),
    });
    const generationId = await conversations.createGeneration({
      sessionId: session.id,
      clientId: request.client_id,
      model: turn.modelId,
    });
    yield {
      type: "session",
      data: { session_id: session.id, generation_id: generationId, user_message_id: userMessage.id, model: turn.modelId, created },
    };
    for (const transcript of turn.transcripts) yield { type: "transcript", data: transcript };
    const speaker =
      turn.speech === undefined || options.audio === undefined ? undefined : createReplySpeaker(options.audio, turn.speech, signal);

    const messages: ChatMessage[] = [
      ...(turn.systemPrompt === "" ? [] : [{ role: "system" as const, content: turn.systemPrompt }]),
      ...history,
      {
        role: "user",
        content: turn.attachmentParts.length === 0 ? turn.message : [{ type: "text", text: turn.message }, ...turn.attachmentParts],
      },
    ];
    const loop = runToolLoop({
      model: turn.model,
      messages,
      tools: turn.tools,
      parameters: turn.parameters,
      maxToolRounds: turn.maxToolRounds,
      signal,
      executeTool: (call, toolSignal): Promise<ToolCallOutcome> => options.mcp.callTool(call.name, call.arguments, { signal: toolSignal }),
      describeTool: (name) => {
        const tool = options.mcp.catalog().find((candidate) => candidate.name === name);
        return { server: tool?.serverId ?? null, tool: tool?.toolName ?? null };
      },
      saveMessage: async (message) => {
        const saved = await conversations.appendMessage(session.id, {
          role: message.role,
          content: typeof message.content === "string" ? message.content : "",
          ...(message.toolCalls === undefined ? {} : { tool_calls: message.toolCalls }),
          ...(message.toolCallId === undefined ? {} : { tool_call_id: message.toolCallId }),
          ...(message.name === undefined ? {} : { name: message.name }),
          ...(message.metadata === undefined ? {} : { metadata: message.metadata }),
          generation_id: generationId,
        });
        return saved.id;
      },
    });

    let result: ToolLoopResult | undefined;
    let rounds = 0;
    let toolCalls = 0;
    let usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    // Text of the round in progress: kept if the turn ends early, since the client already saw it.
    let partialText = "";
    const endEarly = async (cancelled: boolean, message: string): Promise<void> => {
      await loop.return(undefined as never).catch(() => {});
      if (partialText !== "") {
        await conversations.appendMessage(session.id, {
          role: "assistant",
          content: partialText,
          metadata: { partial: true, finish_reason: cancelled ? "cancelled" : "error" },
          generation_id: generationId,
        });
      }
      await conversations.finishGeneration(generationId, {
        status: cancelled ? "cancelled" : "failed",
        finishReason: cancelled ? "cancelled" : "error",
        usage,
        cost: computeCost(turn.modelId, usage, config.pricing, options.registry.get(turn.modelId)?.metadata),
        rounds,
        toolCalls,
        error: cancelled ? "client disconnected" : message,
      });
    };
    let settled = false;
    try {
      for (;;) {
        const next = await loop.next();
        if (next.done) {
          result = next.value;
          break;
        }
        const event = next.value;
        if (event.type === "usage") {
          usage = event.data.total;
          rounds = event.data.round + 1;
        } else if (event.type === "message.delta") {
          partialText += event.data.content;
          speaker?.write(event.data.content);
        } else if (event.type === "tool_call.started") {
          toolCalls++;
          partialText = "";
          speaker?.flush();
        }
        yield event;
        if (speaker !== undefined) yield* speaker.take();
      }
      if (speaker !== undefined) yield* await speaker.finish();
    } catch (error) {
      settled = true;
      const cancelled = signal.aborted;
      const stationError = isStationError(error) ? error : undefined;
      // As the HTTP error handler does: a StationError's message is for clients, anything else
      // (a bug, an engine's internals) only for the log.
      const message = stationError?.message ?? "Internal server error";
      if (!cancelled) logger.warn({ err: error, session: session.id, generation: generationId }, "chat turn failed");
      await endEarly(cancelled, message);
      if (!cancelled) {
        yield {
          type: "error",
          data: { code: stationError?.code ?? "chat_failed", message, session_id: session.id, generation_id: generationId },
        };
      }
      return;
    } finally {
      // The consumer stopped reading (client gone) while this generator waited at a yield.
      if (result === undefined && !settled) await endEarly(true, "client disconnected");
    }
    const cost = computeCost(turn.modelId, result.usage, config.pricing, options.registry.get(turn.modelId)?.metadata);
    await conversations.finishGeneration(generationId, {
      status: "completed",
      finishReason: result.finishReason,
      usage: result.usage,
      cost,
      rounds: result.rounds,
      toolCalls: result.toolCalls,
      error: null,
    });
    yield {
      type: "done",
      data: {
        session_id: session.id,
        generation_id: generationId,
        message_id: result.messageId,
        content: result.text,
        finish_reason: result.finishReason,
        rounds: result.rounds,
        tool_calls: result.toolCalls,
        usage: result.usage,
        cost_usd: cost?.total_usd ?? null,
      },
    };
  }
}

/** Inline audio is base64 (a data: URL's prefix is allowed); nothing decodable is a 400. */
function decodeBase64Audio(data: string): Buffer {
  const base64 = data.replace(/^data:[^,]*,/, "");
  const bytes = Buffer.from(base64, "base64");
  if (bytes.byteLength === 0 || !/^[A-Za-z0-9+/=\s_-]*$/.test(base64))
    throw new StationError({ code: "invalid_audio", status: 400, param: "audio", message: "audio.data must be base64 of an audio file" });
  return bytes;
}

function titleOf(message: string): string {
  const line = message.trim().split("\n", 1)[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 79)}…` : line || "New chat";
}

function sessionBusy(): StationError {
  return new StationError({
    code: "session_busy",
    status: 409,
    param: "session_id",
    message: "This session already has a turn in progress; wait for its 'done' event",
  });
}
