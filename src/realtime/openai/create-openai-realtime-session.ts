import { randomUUID } from "node:crypto";
import { floatToG711, g711ToPcm16 } from "../../audio/g711.ts";
import { floatToPcm16, pcm16ToFloat } from "../../audio/pcm16.ts";
import { resample } from "../../audio/resample.ts";
import type { VoiceActivityDetector } from "../../audio/vad/voice-activity-detector.ts";
import { createCoreChatModel } from "../../chat-core/create-core-chat-model.ts";
import { isStationError, StationError } from "../../errors/station-error.ts";
import { allowedToolDefinitions } from "../../mcp/allowed-tool-definitions.ts";
import { defaultToolPreferences } from "../../mcp/tool-preferences.ts";
import { exceedsJsonDepth, maxJsonDepth } from "../../net/exceeds-json-depth.ts";
import type { AudioInput, ChatMessage, ContentPart, ToolChoice, ToolDefinition } from "../../providers/spec/index.ts";
import type { RealtimeSession } from "../realtime-session.ts";
import { resolveChatModel } from "../resolve-chat-model.ts";
import { type ConversationItem, toChatMessages } from "./conversation-items.ts";
import { createRealtimeConversationLog } from "./create-realtime-conversation-log.ts";
import {
  type ConversationItemInput,
  type OpenAiClientEvent,
  openAiClientEventSchema,
  openAiClientEventTypes,
} from "./openai-client-events.ts";
import type { OpenAiRealtimeDependencies } from "./openai-realtime-dependencies.ts";
import {
  type AudioFormat,
  applySessionPatch,
  defaultTurnDetection,
  describeFormat,
  describeSession,
  formatRate,
  type OpenAiSessionConfig,
  UnsupportedSetting,
} from "./openai-session-config.ts";
import { responseError, runOpenAiResponse } from "./run-openai-response.ts";

/** The subprotocol OpenAI's clients offer (with `openai-insecure-api-key.<key>` in browsers). */
export const openAiRealtimeSubprotocol = "realtime";

/** OpenAI refuses to commit less than 100 ms of audio. */
const minCommitMs = 100;

type Transmit = (event: Record<string, unknown>) => void;

export interface RealtimeHandshake {
  model?: string | undefined;
  clientId?: string | undefined;
  /** With clientId: the chat session (or "new") the turns are stored in. */
  sessionId?: string | undefined;
}
type ClientErrorSource = { code: string; message: string; param?: string | undefined; status?: number };

/**
 * One OpenAI Realtime (GA dialect) session per WebSocket: session.update, the input audio buffer
 * with server VAD (Silero) and its speech_started/stopped/committed events, input transcription,
 * conversation items (text, images, function_call_output), responses (text or audio, MCP tools
 * run here, client tools handed back) with cancel and barge-in. Every server event carries its
 * own event_id; a bad client event gets an `error` whose error.event_id names it, and the
 * connection lives on.
 */
export function createOpenAiRealtimeSession(
  dependencies: OpenAiRealtimeDependencies,
  handshake: RealtimeHandshake,
  transmit: Transmit,
): RealtimeSession {
  const { audio, registry, logger } = dependencies;
  const id = `sess_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_${id.slice(5, 13)}${(++counter).toString(36).padStart(6, "0")}`;
  let closed = false;
  const send: Transmit = (event) => {
    if (!closed) transmit({ event_id: nextId("event"), ...event });
  };
  const fail = (source: ClientErrorSource, clientEventId: string | undefined) =>
    send({
      type: "error",
      error: {
        type: (source.status ?? 400) >= 500 ? "server_error" : "invalid_request_error",
        code: source.code,
        message: source.message,
        param: source.param ?? null,
        event_id: clientEventId ?? null,
      },
    });
  const failWith = (error: unknown, clientEventId: string | undefined) => {
    if (error instanceof UnsupportedSetting)
      return fail({ code: "unsupported", message: error.message, param: error.param }, clientEventId);
    if (isStationError(error))
      return fail({ code: error.code, message: error.message, param: error.param, status: error.status }, clientEventId);
    logger.error({ err: error, session: id }, "realtime event failed");
    fail({ code: "internal_error", message: "Internal server error", status: 500 }, clientEventId);
  };

  let config: OpenAiSessionConfig = {
    model: handshake.model ?? dependencies.defaultChatModel ?? "",
    instructions: "",
    outputModalities: audio.defaultModel("speak") === undefined ? ["text"] : ["audio"],
    transcriptionModel: audio.defaultModel("transcribe") ?? null,
    transcriptionLanguage: undefined,
    turnDetection: { ...defaultTurnDetection },
    speechModel: undefined,
    voice: "alloy",
    speed: 1,
    inputFormat: "audio/pcm",
    outputFormat: "audio/pcm",
    tools: [],
    toolChoice: "auto",
    maxOutputTokens: "inf",
    temperature: undefined,
  };
  const items: ConversationItem[] = [];
  const log =
    handshake.clientId === undefined || handshake.sessionId === undefined || dependencies.conversations === undefined
      ? undefined
      : createRealtimeConversationLog({
          conversations: dependencies.conversations,
          clientId: handshake.clientId,
          sessionId: handshake.sessionId,
          model: () => config.model,
          ...(dependencies.sessionLock === undefined ? {} : { sessionLock: dependencies.sessionLock }),
        });
  /** What the client has seen so far goes to the chat conversation (after each response, cancelled ones too). */
  const storeTurns = () => {
    if (log === undefined) return;
    log
      .record(items)
      .then((messageIds) => {
        if (messageIds.length > 0) send({ type: "station.conversation.stored", chat_session_id: log.sessionId, message_ids: messageIds });
      })
      .catch((error: unknown) => logger.warn({ err: error, session: id }, "realtime turn could not be stored"));
  };
  const addItem = (item: ConversationItem) => {
    items.push(item);
    if (items.length > dependencies.maxItems) items.splice(0, items.length - dependencies.maxItems);
  };
  let buffer: Buffer[] = [];
  let bufferBytes = 0;
  // The buffer holds PCM16 at the input format's rate (G.711 is decoded on arrival).
  const inputRate = () => formatRate(config.inputFormat);
  const maxBufferBytes = () => dependencies.maxBufferSeconds * inputRate() * 2;
  /** Client audio on the wire → PCM16 at the input rate; undefined when it cannot be that format. */
  const toPcm16 = (bytes: Buffer): Buffer | undefined => {
    if (config.inputFormat === "audio/pcm") return bytes.byteLength === 0 || bytes.byteLength % 2 !== 0 ? undefined : bytes;
    if (bytes.byteLength === 0) return undefined;
    const samples = g711ToPcm16(bytes, config.inputFormat === "audio/pcmu" ? "mu" : "a");
    return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  };
  let vad: VoiceActivityDetector | undefined;
  let vadStarting: Promise<VoiceActivityDetector> | undefined;
  let speechItemId: string | undefined;
  let active: { id: string; controller: AbortController; reason: "client_cancelled" | "turn_detected" } | undefined;
  let queue: Promise<void> = Promise.resolve();

  const clearBuffer = () => {
    buffer = [];
    bufferBytes = 0;
  };

  const ensureVad = async (): Promise<VoiceActivityDetector | undefined> => {
    const detection = config.turnDetection;
    if (detection === null) return undefined;
    if (vad !== undefined) return vad;
    vadStarting ??= dependencies.createVad(
      { threshold: detection.threshold, prefixPaddingMs: detection.prefixPaddingMs, silenceDurationMs: detection.silenceDurationMs },
      {
        onSpeechStart: (atMs) => {
          speechItemId = nextId("item");
          send({ type: "input_audio_buffer.speech_started", audio_start_ms: atMs, item_id: speechItemId });
          // Barge-in: the user talks over the agent.
          if (active !== undefined && config.turnDetection?.interruptResponse !== false) {
            active.reason = "turn_detected";
            active.controller.abort(new Error("turn detected"));
          }
        },
        onSpeechEnd: (atMs, speech) => {
          const itemId = speechItemId ?? nextId("item");
          speechItemId = undefined;
          dependencies.onTiming?.("speech_stopped", performance.now());
          send({ type: "input_audio_buffer.speech_stopped", audio_end_ms: atMs, item_id: itemId });
          clearBuffer();
          commitTurn(itemId, audio.decoder.fromPcm16(floatToPcm16(speech), 16_000));
          if (config.turnDetection?.createResponse !== false) startResponse(undefined, undefined);
        },
      },
    );
    vad = await vadStarting;
    vadStarting = undefined;
    return vad;
  };

  const closeVad = () => {
    const current = vad;
    vad = undefined;
    void current?.close().catch(() => {});
  };

  /** A committed spoken turn: its item at once, its transcript when the model has it. */
  const commitTurn = (itemId: string, turnAudio: AudioInput) => {
    const previous = items.at(-1)?.id ?? null;
    send({ type: "input_audio_buffer.committed", item_id: itemId, previous_item_id: previous });
    const visible = config.transcriptionModel !== null;
    const transcript = audio
      .transcribe({
        model: config.transcriptionModel || undefined,
        audio: turnAudio,
        task: "transcribe",
        language: config.transcriptionLanguage,
      })
      .then(({ result }) => {
        const text = result.text.trim();
        dependencies.onTiming?.("transcribed", performance.now());
        if (visible) {
          send({ type: "conversation.item.input_audio_transcription.delta", item_id: itemId, content_index: 0, delta: text });
          send({
            type: "conversation.item.input_audio_transcription.completed",
            item_id: itemId,
            content_index: 0,
            transcript: text,
            usage: { type: "duration", seconds: Math.round(turnAudio.durationSeconds * 100) / 100 },
          });
        }
        return text;
      })
      .catch((error: unknown) => {
        const described = responseError(error);
        if (!isStationError(error)) logger.warn({ err: error, session: id }, "input transcription failed");
        send({ type: "conversation.item.input_audio_transcription.failed", item_id: itemId, content_index: 0, error: described });
        return "";
      });
    addItem({ id: itemId, type: "message", role: "user", parts: [], transcript });
    const shown = {
      id: itemId,
      object: "realtime.item",
      type: "message",
      role: "user",
      status: "completed",
      content: [{ type: "input_audio", transcript: null }],
    };
    send({ type: "conversation.item.added", previous_item_id: previous, item: shown });
    send({ type: "conversation.item.done", previous_item_id: previous, item: shown });
  };

  const appendAudio = async (base64: string, eventId: string | undefined) => {
    const bytes = toPcm16(Buffer.from(base64, "base64"));
    if (bytes === undefined) {
      return fail(
        {
          code: "invalid_audio",
          message:
            config.inputFormat === "audio/pcm"
              ? "audio must be base64 of 16-bit little-endian PCM (an even, non-zero number of bytes)"
              : `audio must be base64 of ${config.inputFormat} (G.711, one byte per sample)`,
          param: "audio",
        },
        eventId,
      );
    }
    if (bufferBytes + bytes.byteLength > maxBufferBytes()) {
      return fail(
        {
          code: "input_audio_buffer_full",
          message: `The input audio buffer holds at most ${dependencies.maxBufferSeconds} s: commit or clear it`,
          param: "audio",
        },
        eventId,
      );
    }
    buffer.push(bytes);
    bufferBytes += bytes.byteLength;
    const detector = await ensureVad();
    if (detector !== undefined) await detector.push(resample(pcm16ToFloat(bytes), inputRate(), 16_000));
  };

  const createItem = async (item: ConversationItemInput, eventId: string | undefined) => {
    const itemId = item.id ?? nextId("item");
    if (items.some((existing) => existing.id === itemId))
      throw new StationError({
        code: "duplicate_item_id",
        status: 400,
        param: "item.id",
        message: `An item with id '${itemId}' already exists`,
      });
    const previous = items.at(-1)?.id ?? null;
    if (item.type === "function_call_output") {
      addItem({ id: itemId, type: "function_call_output", callId: item.call_id, output: item.output });
    } else if (item.type === "function_call") {
      addItem({ id: itemId, type: "function_call", callId: item.call_id, name: item.name, arguments: item.arguments });
    } else {
      const parts: ContentPart[] = [];
      for (const [index, part] of item.content.entries()) {
        if (part.type === "input_image") {
          if (item.role !== "user")
            throw new StationError({
              code: "invalid_value",
              status: 400,
              param: `item.content[${index}]`,
              message: "Images go in user messages",
            });
          if (/^\s*https?:/i.test(part.image_url))
            throw new StationError({
              code: "invalid_image",
              status: 400,
              param: `item.content[${index}].image_url`,
              message: "Send images inline as a base64 data: URL; URLs are not fetched here",
            });
          parts.push((await dependencies.intake.fromReference(part.image_url, `item.content[${index}].image_url`)).part);
        } else if (part.type === "input_audio" || part.type === "output_audio") {
          if (part.transcript !== undefined && part.transcript !== null) parts.push({ type: "text", text: part.transcript });
          else if (part.audio !== undefined) {
            const pcm = toPcm16(Buffer.from(part.audio, "base64"));
            if (pcm === undefined)
              throw new StationError({
                code: "invalid_audio",
                status: 400,
                param: `item.content[${index}].audio`,
                message: `The audio is not ${config.inputFormat}`,
              });
            const spoken = audio.decoder.fromPcm16(pcm, inputRate());
            const text = (
              await audio.transcribe({
                model: config.transcriptionModel || undefined,
                audio: spoken,
                task: "transcribe",
                language: config.transcriptionLanguage,
              })
            ).result.text;
            parts.push({ type: "text", text });
          }
        } else parts.push({ type: "text", text: part.text });
      }
      addItem({ id: itemId, type: "message", role: item.role, parts });
    }
    const shown = { ...item, id: itemId, object: "realtime.item", status: "completed" };
    send({ type: "conversation.item.added", previous_item_id: previous, item: shown });
    send({ type: "conversation.item.done", previous_item_id: previous, item: shown });
    void eventId;
  };

  const speechModel = () => config.speechModel ?? audio.defaultModel("speak");

  const startResponse = (eventId: string | undefined, overrides: Extract<OpenAiClientEvent, { type: "response.create" }>["response"]) => {
    if (active !== undefined) {
      fail(
        {
          code: "conversation_already_has_active_response",
          message: `Conversation already has an active response in progress: ${active.id}. Wait until the response is finished before creating a new one.`,
        },
        eventId,
      );
      return;
    }
    const responseId = nextId("resp");
    const controller = new AbortController();
    const current = { id: responseId, controller, reason: "client_cancelled" as "client_cancelled" | "turn_detected" };
    active = current;
    const modalities = overrides?.output_modalities ?? config.outputModalities;
    const outputFormat = config.outputFormat;
    const spoken = modalities.includes("audio");
    const summary = (status: string, extra: Record<string, unknown> = {}) => ({
      id: responseId,
      object: "realtime.response",
      status,
      conversation_id: `conv_${id.slice(5)}`,
      output_modalities: modalities,
      max_output_tokens: overrides?.max_output_tokens ?? config.maxOutputTokens,
      audio: { output: { format: describeFormat(outputFormat), voice: config.voice } },
      metadata: null,
      ...extra,
    });
    send({ type: "response.created", response: summary("in_progress", { output: [], usage: null, status_details: null }) });
    dependencies.onTiming?.("response_created", performance.now());
    void (async () => {
      try {
        if (spoken && speechModel() === undefined)
          throw new StationError({
            code: "no_speech_model",
            status: 400,
            param: "session.output_modalities",
            message: "No text-to-speech model is available: set output_modalities to ['text'], or configure defaults.speechModel",
          });
        const model = await chatModelFor(config.model);
        const history = overrides?.conversation === "none" ? [] : await toChatMessages(items);
        const instructions = overrides?.instructions ?? config.instructions;
        const messages: ChatMessage[] = [...(instructions === "" ? [] : [{ role: "system" as const, content: instructions }]), ...history];
        const clientTools: ToolDefinition[] = (overrides?.tools ?? config.tools)
          .filter((tool) => tool.type === "function")
          .map((tool) => ({
            name: tool.name as string,
            ...(typeof tool.description === "string" ? { description: tool.description } : {}),
            parameters: (tool.parameters as Record<string, unknown>) ?? { type: "object", properties: {} },
          }));
        const maxTokens = overrides?.max_output_tokens ?? config.maxOutputTokens;
        const result = await runOpenAiResponse({
          responseId,
          emit: send,
          model,
          messages,
          mcpTools: allowedToolDefinitions(dependencies.mcp, defaultToolPreferences),
          clientTools,
          toolChoice: toToolChoice(config.toolChoice),
          parameters: {
            ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
            ...(maxTokens === "inf" ? {} : { maxTokens }),
          },
          maxToolRounds: dependencies.maxToolRounds,
          audio: spoken,
          speak: async (text, signal) =>
            toWireAudio(
              (
                await audio.speak({
                  model: speechModel(),
                  input: text,
                  voice: config.voice,
                  format: "pcm",
                  speed: config.speed === 1 ? undefined : config.speed,
                  signal,
                })
              ).chunks,
              outputFormat,
            ),
          mcp: dependencies.mcp,
          newItemId: () => nextId("item"),
          addItem,
          signal: controller.signal,
          onFirstAudio: () => dependencies.onTiming?.("first_audio", performance.now()),
        });
        if (controller.signal.aborted) throw controller.signal.reason;
        send({
          type: "response.done",
          response: summary("completed", { output: result.output, usage: result.usage, status_details: null }),
        });
        storeTurns();
      } catch (error) {
        if (controller.signal.aborted) {
          send({
            type: "response.done",
            response: summary("cancelled", { output: [], usage: null, status_details: { type: "cancelled", reason: current.reason } }),
          });
          storeTurns();
        } else {
          const described = responseError(error);
          if (!isStationError(error)) logger.error({ err: error, session: id }, "realtime response failed");
          send({
            type: "response.done",
            response: summary("failed", { output: [], usage: null, status_details: { type: "failed", error: described } }),
          });
          failWith(error, eventId);
        }
      } finally {
        if (active === current) active = undefined;
      }
    })();
  };

  /** The session's chat model; a name Station does not know (gpt-realtime) falls back to the default chat model. */
  const chatModelFor = async (requested: string) => {
    const fallback = dependencies.defaultChatModel ?? registry.list().find((model) => model.capabilities.includes("chat"))?.id;
    let resolved: { id: string } | undefined;
    if (requested !== "") {
      try {
        resolved = await resolveChatModel(dependencies.chatCore, requested);
      } catch (error) {
        if (!(isStationError(error) && error.code === "model_not_found") || fallback === undefined) throw error;
      }
    }
    if (resolved === undefined) {
      if (fallback === undefined)
        throw new StationError({
          code: "no_chat_model",
          status: 400,
          param: "session.model",
          message: "No chat model is available: name one in session.model or ?model=, or set defaults.chatModel",
        });
      resolved = await resolveChatModel(dependencies.chatCore, fallback);
    }
    return createCoreChatModel(dependencies.chatCore, resolved.id, {
      params: { model: "session.model", messages: "item.content" },
      stationTools: true,
    });
  };

  const handle = async (event: OpenAiClientEvent): Promise<void> => {
    const eventId = event.event_id;
    switch (event.type) {
      case "session.update": {
        const next = applySessionPatch(config, event.session);
        const detectionChanged = JSON.stringify(next.turnDetection) !== JSON.stringify(config.turnDetection);
        // Buffered audio is in the old format's rate: it cannot be read as the new one.
        if (next.inputFormat !== config.inputFormat) clearBuffer();
        config = next;
        if (detectionChanged) closeVad();
        send({ type: "session.updated", session: describeSession(id, config) });
        return;
      }
      case "input_audio_buffer.append":
        return appendAudio(event.audio, eventId);
      case "input_audio_buffer.commit": {
        if (bufferBytes < (inputRate() * 2 * minCommitMs) / 1000) {
          return fail(
            {
              code: "input_audio_buffer_commit_empty",
              message: `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${Math.round((bufferBytes / (inputRate() * 2)) * 1000)}ms of audio.`,
            },
            eventId,
          );
        }
        const pcm = Buffer.concat(buffer);
        clearBuffer();
        vad?.reset();
        const itemId = speechItemId ?? nextId("item");
        speechItemId = undefined;
        commitTurn(itemId, audio.decoder.fromPcm16(pcm, inputRate()));
        return;
      }
      case "input_audio_buffer.clear":
        clearBuffer();
        vad?.reset();
        speechItemId = undefined;
        send({ type: "input_audio_buffer.cleared" });
        return;
      case "conversation.item.create":
        return createItem(event.item, eventId);
      case "conversation.item.delete": {
        const index = items.findIndex((item) => item.id === event.item_id);
        if (index < 0)
          return fail({ code: "item_not_found", message: `Item with item_id not found: ${event.item_id}`, param: "item_id" }, eventId);
        items.splice(index, 1);
        send({ type: "conversation.item.deleted", item_id: event.item_id });
        return;
      }
      case "response.create":
        startResponse(eventId, event.response);
        return;
      case "response.cancel":
        if (active === undefined || (event.response_id !== undefined && event.response_id !== active.id)) {
          return fail(
            { code: "response_cancel_not_active", message: "Cancellation failed: no active response found", param: "response_id" },
            eventId,
          );
        }
        active.reason = "client_cancelled";
        active.controller.abort(new Error("cancelled"));
        return;
      case "output_audio_buffer.clear":
        send({ type: "output_audio_buffer.cleared" });
        return;
    }
  };

  // A client's saved voice settings and a continued conversation apply before anything else the session does.
  const clientId = handshake.clientId;
  const clientVoice = dependencies.clientVoice;
  const history =
    log === undefined
      ? Promise.resolve()
      : log
          .load()
          .then((loaded) => {
            items.push(...loaded.slice(-dependencies.maxItems));
          })
          .catch((error: unknown) => logger.warn({ err: error, session: id }, "stored conversation could not be read"));
  queue =
    clientId === undefined || clientVoice === undefined
      ? history.then(() => send({ type: "session.created", session: describeSession(id, config) }))
      : history
          .then(() => clientVoice(clientId))
          .then((voice) => {
            config = {
              ...config,
              ...(voice.transcriptionModel === undefined ? {} : { transcriptionModel: voice.transcriptionModel }),
              ...(voice.language === undefined ? {} : { transcriptionLanguage: voice.language }),
              ...(voice.speechModel === undefined ? {} : { speechModel: voice.speechModel }),
              ...(voice.voice === undefined ? {} : { voice: voice.voice }),
              ...(voice.speed === undefined ? {} : { speed: voice.speed }),
            };
          })
          .catch((error: unknown) => logger.warn({ err: error, session: id }, "client voice settings could not be read"))
          .then(() => send({ type: "session.created", session: describeSession(id, config) }));

  return {
    id,
    receive(data, isBinary) {
      const parsed = parseEvent(data, isBinary, dependencies.maxMessageBytes);
      if (!parsed.ok) {
        fail(parsed.error, parsed.eventId);
        return;
      }
      const event = parsed.event;
      // Cancels jump the queue: an append being processed must not hold them back.
      if (event.type === "response.cancel") {
        void handle(event).catch((error: unknown) => failWith(error, event.event_id));
        return;
      }
      queue = queue.then(() => (closed ? undefined : handle(event))).catch((error: unknown) => failWith(error, event.event_id));
    },
    close() {
      closed = true;
      active?.controller.abort(new Error("session closed"));
      closeVad();
    },
  };
}

/** The speech model's 24 kHz PCM16 as the session's output format: G.711 at 8 kHz for audio/pcmu and audio/pcma. */
async function* toWireAudio(chunks: AsyncIterable<Uint8Array>, format: AudioFormat): AsyncGenerator<Uint8Array> {
  if (format === "audio/pcm") {
    yield* chunks;
    return;
  }
  const law = format === "audio/pcmu" ? "mu" : "a";
  for await (const chunk of chunks) yield floatToG711(resample(pcm16ToFloat(chunk), 24_000, 8000), law);
}

function toToolChoice(choice: OpenAiSessionConfig["toolChoice"]): ToolChoice {
  return typeof choice === "string" ? choice : { name: choice.name };
}

type ParsedEvent = { ok: true; event: OpenAiClientEvent } | { ok: false; error: ClientErrorSource; eventId: string | undefined };

function parseEvent(data: Buffer, isBinary: boolean, maxBytes: number): ParsedEvent {
  const failure = (code: string, message: string, eventId?: string, param?: string): ParsedEvent => ({
    ok: false,
    error: { code, message, param },
    eventId,
  });
  if (data.byteLength > maxBytes)
    return failure("message_too_large", `The event is ${data.byteLength} bytes; the limit is ${maxBytes} (realtime.maxMessageBytes)`);
  if (isBinary) return failure("invalid_event", "Send JSON text events; binary frames are not part of this protocol");
  const text = data.toString("utf8");
  if (exceedsJsonDepth(text)) return failure("invalid_json", `The event nests deeper than ${maxJsonDepth} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return failure("invalid_json", `The event is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return failure("invalid_event", "An event must be a JSON object with a 'type'");
  const record = value as Record<string, unknown>;
  const eventId = typeof record.event_id === "string" && record.event_id.length <= 128 ? record.event_id : undefined;
  if (typeof record.type !== "string") return failure("invalid_event", "An event needs a string 'type'", eventId, "type");
  if (!openAiClientEventTypes.has(record.type)) {
    return failure(
      "invalid_event",
      `Invalid value: '${record.type.slice(0, 64)}'. Supported values are: ${[...openAiClientEventTypes].join(", ")}.`,
      eventId,
      "type",
    );
  }
  const parsed = openAiClientEventSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join(".") || undefined;
    return failure(
      "invalid_value",
      `Invalid '${record.type}' event${param === undefined ? "" : ` at '${param}'`}: ${issue?.message ?? "invalid"}`,
      eventId,
      param,
    );
  }
  return { ok: true, event: parsed.data };
}
