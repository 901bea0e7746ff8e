import { currentApiKey } from "../api.js";

/**
 * A WebSocket to Station's /v1/realtime in OpenAI's Realtime protocol (GA), the way browsers
 * reach it: the `realtime` subprotocol, and the API key (when one is stored) as the
 * `openai-insecure-api-key.<key>` subprotocol, since browsers cannot set headers on a WebSocket.
 * Events in and out are JSON objects with a `type`.
 *
 * @typedef {object} RealtimeSocket
 * @property {(event: Record<string, unknown>) => void} send
 * @property {() => void} close
 */

/**
 * `sessionId` ("new", or a chat session of the client) has Station keep the turns in the chat
 * history, announced by `station.conversation.stored` events.
 *
 * @param {{model?: string, clientId: string, sessionId?: string, onEvent: (event: any) => void, onClose: (event: CloseEvent, opened: boolean) => void}} options
 * @returns {RealtimeSocket}
 */
export function openRealtimeSocket({ model, clientId, sessionId, onEvent, onClose }) {
  const query = new URLSearchParams({ client_id: clientId });
  if (sessionId !== undefined) query.set("session_id", sessionId);
  if (model !== undefined && model !== "") query.set("model", model);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const key = currentApiKey();
  const socket = new WebSocket(`${scheme}//${location.host}/v1/realtime?${query}`, [
    "realtime",
    ...(key === "" ? [] : [`openai-insecure-api-key.${key}`]),
  ]);
  /** @type {string[]} */
  const pending = [];
  let opened = false;
  socket.addEventListener("open", () => {
    opened = true;
    for (const text of pending.splice(0)) socket.send(text);
  });
  socket.addEventListener("message", (message) => {
    if (typeof message.data !== "string") return;
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    onEvent(event);
  });
  socket.addEventListener("close", (event) => onClose(event, opened));
  return {
    send(event) {
      const text = JSON.stringify(event);
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
      else if (socket.readyState === WebSocket.CONNECTING) pending.push(text);
    },
    close() {
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000);
    },
  };
}
