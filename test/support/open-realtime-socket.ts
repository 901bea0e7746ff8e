import WebSocket from "ws";

export type RealtimeServerEvent = { type: string; [key: string]: unknown };

/**
 * Opens `/v1/realtime` on a started Station with the `realtime` subprotocol (OpenAI's dialect)
 * and collects every server event, in order, from the first one on.
 */
export async function openRealtimeSocket(stationUrl: string, query: string): Promise<{ socket: WebSocket; events: RealtimeServerEvent[] }> {
  const socket = new WebSocket(`${stationUrl.replace(/^http/, "ws")}/v1/realtime?${query}`, ["realtime"]);
  const events: RealtimeServerEvent[] = [];
  socket.on("message", (data) => events.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return { socket, events };
}
