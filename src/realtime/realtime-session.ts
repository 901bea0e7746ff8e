import { randomUUID } from "node:crypto";
import { errors } from "../errors/errors.ts";
import { isStationError, StationError } from "../errors/station-error.ts";
import type { ChatMessage } from "../providers/spec/index.ts";
import type { PreparedImage } from "../vision/prepared-image.ts";
import { createConversationHistory } from "./conversation-history.ts";
import { createFrameLimiter } from "./frame-limiter.ts";
import { parseClientMessage } from "./parse-client-message.ts";
import { prepareRealtimeTurn, type SessionSettings } from "./prepare-realtime-turn.ts";
import type { RealtimeDependencies } from "./realtime-dependencies.ts";
import type { ClientMessage, ErrorEvent, ServerEvent, SessionDescription } from "./realtime-protocol.ts";
import { realtimeSubprotocol } from "./realtime-protocol.ts";
import { resolveChatModel } from "./resolve-chat-model.ts";
import { emptyProgress, runRealtimeTurn } from "./run-realtime-turn.ts";

export interface RealtimeSession {
  readonly id: string;
  /** One WebSocket message, as it arrived. Never throws. */
  receive(data: Buffer, isBinary: boolean): void;
  /** The connection is gone: aborts the running turn (its model call and tools) and sends nothing more. */
  close(): void;
}

/** Messages waiting behind a slow one (an image being decoded) before new ones are refused. */
const maxPendingMessages = 64;

/**
 * One agent session per WebSocket connection, held in memory only: its settings, a bounded
 * history, the latest video frames and at most one running response. Messages are handled in
 * arrival order (a `text` sent right after an `image` sees that frame); a response runs beside
 * that queue so `response.cancel` reaches it. Every failure becomes an `error` event.
 */
export function createRealtimeSession(dependencies: RealtimeDependencies, transmit: (event: ServerEvent) => void): RealtimeSession {
  const { registry, limits, logger } = dependencies;
  const id = `rt_${randomUUID()}`;
  const settings: SessionSettings = { model: undefined, instructions: "", tools: true, clientId: null, temperature: null, maxTokens: null };
  const history = createConversationHistory({ maxTurns: limits.historyTurns, maxChars: limits.historyMaxChars });
  const limiter = createFrameLimiter({
    framesPerSecond: limits.framesPerSecond,
    burst: limits.frameBurst,
    ...(dependencies.clock === undefined ? {} : { clock: dependencies.clock }),
  });
  let frames: PreparedImage[] = [];
  let active: { responseId: string; controller: AbortController } | undefined;
  let closed = false;
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;

  const send = (event: ServerEvent): void => {
    if (!closed) transmit(event);
  };
  const echo = (eventId: string | undefined) => (eventId === undefined ? {} : { event_id: eventId });
  const errorEvent = (error: unknown, eventId: string | undefined, responseId?: string): ErrorEvent => {
    const known = isStationError(error) ? error : undefined;
    return {
      type: "error",
      ...echo(eventId),
      ...(responseId === undefined ? {} : { response_id: responseId }),
      code: known?.code ?? "internal_error",
      message: known?.message ?? "Internal server error",
      ...(known?.param === undefined ? {} : { param: known.param }),
    };
  };
  const modelOrDefault = (): string | undefined =>
    settings.model ?? dependencies.defaultChatModel ?? registry.list().find((model) => model.capabilities.includes("chat"))?.id;
  const describe = (): SessionDescription => ({
    id,
    model: modelOrDefault() ?? null,
    instructions: settings.instructions,
    tools: settings.tools,
    client_id: settings.clientId,
    temperature: settings.temperature,
    max_tokens: settings.maxTokens,
  });

  const enqueue = (eventId: string | undefined, task: () => void | Promise<void>): void => {
    if (pending >= maxPendingMessages) {
      send({ type: "error", ...echo(eventId), code: "overloaded", message: "Too many messages are waiting; slow down" });
      return;
    }
    pending++;
    queue = queue
      // A message still waiting when the client left is dropped: a turn started now would run unseen and never be aborted.
      .then(() => (closed ? undefined : task()))
      .catch((error: unknown) => {
        if (!isStationError(error)) logger.error({ err: error, session: id }, "realtime message failed");
        send(errorEvent(error, eventId));
      })
      .finally(() => pending--);
  };

  const updateSession = async (message: Extract<ClientMessage, { type: "session.update" }>): Promise<void> => {
    const update = message.session;
    // All or nothing: the model is checked before any setting changes.
    const model = update.model === undefined ? settings.model : (await resolveChatModel(dependencies.chatCore, update.model)).id;
    settings.model = model;
    if (update.instructions !== undefined) settings.instructions = update.instructions;
    if (update.tools !== undefined) settings.tools = update.tools;
    if (update.client_id !== undefined) settings.clientId = update.client_id;
    if (update.temperature !== undefined) settings.temperature = update.temperature;
    if (update.max_tokens !== undefined) settings.maxTokens = update.max_tokens;
    send({ type: "session.updated", ...echo(message.event_id), session: describe() });
  };

  const acceptFrame = async (message: Extract<ClientMessage, { type: "image" }>): Promise<void> => {
    // Inline only: fetching a URL could hold every later message (a cancel too) for seconds.
    if (/^\s*https?:/i.test(message.image)) {
      throw new StationError({
        code: "invalid_image",
        status: 400,
        param: "image",
        message: "Send frames inline, as a base64 data: URL or bare base64; URLs are not fetched here",
      });
    }
    const image = await dependencies.intake.fromReference(message.image, "image");
    frames.push(image);
    if (frames.length > limits.framesPerTurn) frames.shift();
    send({
      type: "frame.accepted",
      ...echo(message.event_id),
      width: image.width,
      height: image.height,
      bytes: image.byteLength,
      frames_held: frames.length,
    });
  };

  const startResponse = (message: Extract<ClientMessage, { type: "text" }>): void => {
    if (active !== undefined) {
      send({
        type: "error",
        ...echo(message.event_id),
        response_id: active.responseId,
        code: "busy",
        message: "A response is already running; wait for its response.done or send response.cancel",
      });
      return;
    }
    const responseId = `resp_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
    const controller = new AbortController();
    active = { responseId, controller };
    const attached = frames;
    frames = [];
    void runResponse(message, responseId, controller.signal, attached);
  };

  const runResponse = async (
    message: Extract<ClientMessage, { type: "text" }>,
    responseId: string,
    signal: AbortSignal,
    attached: PreparedImage[],
  ): Promise<void> => {
    const ids = { ...echo(message.event_id), response_id: responseId };
    const requested = modelOrDefault();
    const progress = emptyProgress();
    const userText: ChatMessage = { role: "user", content: message.text };
    send({ type: "response.created", ...ids, model: requested ?? null, frames: attached.length });
    const finish = (status: "completed" | "cancelled" | "failed", finishReason: string | null): void => {
      active = undefined;
      send({
        type: "response.done",
        ...ids,
        status,
        text: progress.text,
        finish_reason: finishReason,
        usage: progress.usage,
        rounds: progress.rounds,
        tool_calls: progress.toolCalls,
      });
    };
    try {
      const prepared = await prepareRealtimeTurn({
        ...dependencies,
        settings,
        modelId: requested,
        history: history.messages(),
        text: message.text,
        frames: attached,
        signal,
      });
      const turn = runRealtimeTurn(
        { ...prepared, responseId, eventId: message.event_id, maxToolRounds: dependencies.maxToolRounds, signal, progress },
        dependencies.mcp,
      );
      for (;;) {
        const next = await turn.next();
        if (next.done) {
          history.addTurn([userText, ...next.value.produced]);
          progress.text = next.value.text;
          progress.usage = next.value.usage;
          progress.rounds = next.value.rounds;
          finish("completed", next.value.finishReason);
          return;
        }
        send(next.value);
      }
    } catch (error) {
      if (signal.aborted) {
        // What the client already saw stays in the conversation; a turn cut before any text is forgotten.
        if (progress.text !== "") history.addTurn([userText, { role: "assistant", content: progress.text }]);
        finish("cancelled", "cancelled");
        return;
      }
      logger.warn({ err: error, session: id, response: responseId }, "realtime response failed");
      const event = errorEvent(error, message.event_id, responseId);
      // Only a StationError's message reaches the client (as over HTTP); anything else stays in the log.
      send(isStationError(error) ? event : { ...event, code: "response_failed" });
      finish("failed", "error");
    }
  };

  const cancelResponse = (message: Extract<ClientMessage, { type: "response.cancel" }>): void => {
    if (active === undefined || (message.response_id !== undefined && message.response_id !== active.responseId)) {
      send({ type: "error", ...echo(message.event_id), code: "no_active_response", message: "There is no running response to cancel" });
      return;
    }
    active.controller.abort(new DOMException("The client cancelled the response", "AbortError"));
  };

  send({
    type: "session.created",
    protocol: realtimeSubprotocol,
    session: describe(),
    limits: {
      max_message_bytes: limits.maxMessageBytes,
      frames_per_second: limits.framesPerSecond,
      frame_burst: limits.frameBurst,
      frames_per_turn: limits.framesPerTurn,
      history_turns: limits.historyTurns,
    },
  });

  return {
    id,
    receive(data, isBinary) {
      if (closed) return;
      const parsed = parseClientMessage(data, isBinary, limits.maxMessageBytes);
      if (!parsed.ok) {
        enqueue(parsed.error.event_id, () => send(parsed.error));
        return;
      }
      const message = parsed.message;
      switch (message.type) {
        case "session.update":
          enqueue(message.event_id, () => updateSession(message));
          return;
        case "text":
          enqueue(message.event_id, () => startResponse(message));
          return;
        case "image": {
          // The rate is judged on arrival, so dropped frames are never decoded or queued.
          const decision = limiter.take();
          if (decision.accepted) {
            enqueue(message.event_id, () => acceptFrame(message));
          } else {
            enqueue(message.event_id, () =>
              send({
                type: "frame.dropped",
                ...echo(message.event_id),
                reason: "rate_limited",
                retry_after_ms: decision.retryAfterMs,
                limit: { frames_per_second: limits.framesPerSecond, frame_burst: limits.frameBurst },
              }),
            );
          }
          return;
        }
        case "audio":
          enqueue(message.event_id, () => {
            throw errors.unsupported(
              "Audio input needs a speech-to-text engine, and Station has none yet: transcribe on the client and send the words as a 'text' message",
              "type",
            );
          });
          return;
        case "response.cancel":
          enqueue(message.event_id, () => cancelResponse(message));
          return;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      frames = [];
      active?.controller.abort(new DOMException("The client disconnected", "AbortError"));
    },
  };
}
