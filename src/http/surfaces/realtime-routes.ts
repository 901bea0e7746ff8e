import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import websocket from "@fastify/websocket";
import type { FastifyPluginAsync } from "fastify";
import type { RawData } from "ws";
import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";
import { openAiRealtimeSubprotocol } from "../../realtime/openai/create-openai-realtime-session.ts";
import { realtimeSubprotocol } from "../../realtime/realtime-protocol.ts";
import type { Station } from "../../station/station.ts";
import { createBackpressuredSend } from "./create-backpressured-send.ts";

const clientIdPattern = /^[A-Za-z0-9_.-]{1,128}$/;

/** How long an upgrade request's socket may sit idle before ws takes it over. */
const upgradeIdleMs = 5_000;

/** Answers waiting to go out past which a client's messages are no longer read (it sends without reading). */
const sendBacklogBytes = 1024 * 1024;

const description = `A WebSocket: one agent session per connection. Client messages (JSON text): session.update, text, image, audio, response.cancel. Server events: session.created, session.updated, response.created, text.delta, tool.call, tool.result, response.done, frame.accepted, frame.dropped, error. A bad message gets an error event; the connection stays open. Browsers pass an API key as the subprotocol 'bearer.<key>' next to '${realtimeSubprotocol}'. A plain GET answers 426.`;

/**
 * GET /v1/realtime (SPEC §7). @fastify/websocket is registered inside this plugin only, so its
 * hooks cost the other surfaces nothing. The onRequest auth hook runs for the upgrade request
 * like for any other: a refused upgrade gets the usual 401 and no WebSocket.
 */
export const realtimeRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const { config } = station;
  const service = station.realtime;

  await fastify.register(websocket, {
    options: {
      // Messages over maxMessageBytes get an error event. ws cannot skip a message it has not read,
      // so past twice that it closes the connection (1009) instead of buffering without end.
      maxPayload: service.limits.maxMessageBytes * 2,
      perMessageDeflate: false,
      // A browser that offered subprotocols fails the handshake unless one is chosen; never choose `bearer.<key>`.
      // `realtime` (OpenAI's clients) selects OpenAI's Realtime protocol, `station.realtime.v1` Station's own.
      handleProtocols: (protocols) =>
        protocols.has(realtimeSubprotocol)
          ? realtimeSubprotocol
          : protocols.has(openAiRealtimeSubprotocol)
            ? openAiRealtimeSubprotocol
            : false,
    },
    errorHandler(error, socket, request) {
      request.log.debug({ err: error }, "realtime socket error");
      socket.terminate();
    },
  });

  // Node hands an upgrade request's socket over to its 'upgrade' listeners and never manages it
  // again. One refused here (401, 503) is closed at once; an upgrade request to any other path
  // gets that route's plain HTTP answer, and its socket is closed once idle for a few seconds
  // (ws clears the timeout on the sockets it takes over).
  fastify.addHook("onResponse", (request, _reply, done) => {
    if (request.headers.upgrade?.toLowerCase() === "websocket") request.raw.socket?.destroy();
    done();
  });
  const server = fastify.server;
  // Events may carry an upstream's error message, which may quote the credentials it was sent.
  const redactor = station.redactor;
  const limitIdleUpgrade = (_request: unknown, socket: Duplex) => {
    socket.once("timeout", () => socket.destroy());
    (socket as Socket).setTimeout?.(upgradeIdleMs);
  };
  server.prependListener("upgrade", limitIdleUpgrade);
  fastify.addHook("onClose", (_instance, done) => {
    server.removeListener("upgrade", limitIdleUpgrade);
    service.closeAll();
    done();
  });

  fastify.route({
    method: "GET",
    url: "/v1/realtime",
    schema: { tags: ["realtime"], summary: "Realtime agent session (WebSocket upgrade)", description },
    preHandler: async (request) => {
      if (!request.ws) return;
      if (service.openSessions >= service.maxSessions) {
        throw errors.busy(`All ${service.maxSessions} realtime sessions are in use (realtime.maxSessions); try again later`, 5);
      }
      // A conversation to store the turns in: the client's own chat session, or "new" (refused before the upgrade).
      const { session_id: sessionId, client_id: clientId } = request.query as { session_id?: unknown; client_id?: unknown };
      if (sessionId === undefined) return;
      if (typeof sessionId !== "string" || sessionId === "" || typeof clientId !== "string" || !clientIdPattern.test(clientId))
        throw errors.invalidRequest("session_id needs a client_id (the conversation is that client's)", "session_id");
      if (sessionId === "new") return;
      const session = await station.chat.conversations.getSession(sessionId);
      if (session === undefined || session.client_id !== clientId) throw errors.notFound("Session", sessionId, "session_not_found");
    },
    handler: async (_request, reply) => {
      reply.header("upgrade", "websocket");
      throw new StationError({
        code: "upgrade_required",
        status: 426,
        message: "GET /v1/realtime is a WebSocket endpoint: connect with a WebSocket client (Connection: Upgrade, Upgrade: websocket)",
      });
    },
    wsHandler: (socket, request) => {
      const send = createBackpressuredSend(socket, sendBacklogBytes);
      // OpenAI's protocol: its subprotocol (browsers), or `?model=` without Station's subprotocol (servers, the openai package).
      const query = request.query as { model?: unknown; client_id?: unknown; session_id?: unknown };
      const model = typeof query.model === "string" && query.model.length > 0 ? query.model : undefined;
      const openAi = socket.protocol === openAiRealtimeSubprotocol || (socket.protocol !== realtimeSubprotocol && model !== undefined);
      const transmit = (event: unknown) => send(redactor.redact(JSON.stringify(event)));
      const clientId = typeof query.client_id === "string" && clientIdPattern.test(query.client_id) ? query.client_id : undefined;
      // Checked in preHandler: a client's own session, or "new".
      const sessionId = clientId !== undefined && typeof query.session_id === "string" ? query.session_id : undefined;
      const session = openAi ? service.openOpenAi(transmit, { model, clientId, sessionId }) : service.open(transmit);
      if (session === undefined) {
        socket.close(1013, "Too many realtime sessions; try again later");
        return;
      }
      const openedAt = Date.now();
      request.log.info({ session: session.id }, "realtime session opened");
      // Handlers attach synchronously: a message sent right after the handshake must not be lost.
      socket.on("message", (data, isBinary) => session.receive(toBuffer(data), isBinary));
      let alive = true;
      socket.on("pong", () => {
        alive = true;
      });
      // A peer that vanished without a FIN (sleep, lost network) is found by a missed pong.
      const heartbeat =
        config.realtime.pingIntervalMs > 0
          ? setInterval(() => {
              if (!alive) {
                socket.terminate();
                return;
              }
              alive = false;
              socket.ping();
            }, config.realtime.pingIntervalMs)
          : undefined;
      heartbeat?.unref();
      socket.on("close", (code) => {
        clearInterval(heartbeat);
        session.close();
        request.log.info({ session: session.id, code, durationMs: Date.now() - openedAt }, "realtime session closed");
      });
    },
  });
};

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
